-- When officemilter cannot do its work (here: the spool directory is
-- missing) the MTA is told 451 4.7.1 and the sender keeps the message.
dofile(dir .. "/common.lua")
local conn = start()
rcptto(conn, rcpt, SMFIR_CONTINUE, "tempfail")
message(conn)
if mt.getreply(conn) ~= SMFIR_REPLYCODE then fail("end of message: no reply code") end
-- Debian's miltertest keeps no text of a final reply (MT_SMTPREPLY is
-- always false for it): the code and text (451 4.7.1 ...) are checked by
-- TestServer* over the same protocol with the go-milter client.
mt.disconnect(conn)
mt.echo("PASS tempfail")
