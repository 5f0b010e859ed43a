-- Rule 2: a .docm with macros to the strict mailbox is refused with
-- 550 5.7.1 and nothing is changed.
dofile(dir .. "/common.lua")
local conn = start()
rcptto(conn, rcpt, SMFIR_CONTINUE, "reject")
message(conn)
if mt.getreply(conn) ~= SMFIR_REPLYCODE then fail("end of message: no reply code") end
-- Debian's miltertest keeps no text of a final reply (MT_SMTPREPLY is
-- always false for it): the code and text (550 5.7.1 ...) are checked by
-- TestServer* over the same protocol with the go-milter client.
if mt.eom_check(conn, MT_BODYCHANGE) then fail("a rejected message must not be changed") end
mt.disconnect(conn)
mt.echo("PASS reject")
