-- Rule 1: a .doc attachment is removed; the text is delivered with a
-- notice, a new Content-Type (boundary) and the X-Officemilter header.
dofile(dir .. "/common.lua")
local conn = start()
rcptto(conn, rcpt, SMFIR_CONTINUE, "strip")
message(conn)
if mt.getreply(conn) ~= SMFIR_ACCEPT then fail("end of message: not accepted") end
if not mt.eom_check(conn, MT_BODYCHANGE) then fail("body not replaced") end
if not mt.eom_check(conn, MT_HDRCHANGE, "Content-Type") then fail("Content-Type not changed") end
if not mt.eom_check(conn, MT_HDRADD, "X-Officemilter") then fail("no X-Officemilter header") end
if not mt.eom_check(conn, MT_HDRADD, "X-Officemilter", " stripped; legacy-office; Bericht.doc") then
	fail("X-Officemilter does not name the stripped file")
end
mt.disconnect(conn)
mt.echo("PASS strip")
