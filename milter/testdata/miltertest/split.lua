-- A recipient whose policy differs from the first recipient's gets 452
-- 4.5.3 at RCPT time; one under the same policy is accepted.
dofile(dir .. "/common.lua")
local conn = start()
rcptto(conn, rcpt, SMFIR_CONTINUE, "first recipient")
rcptto(conn, rcpt2, SMFIR_REPLYCODE, "recipient under another policy")
rcptto(conn, "bob@example.com", SMFIR_CONTINUE, "recipient under the same policy")
message(conn)
if mt.getreply(conn) ~= SMFIR_ACCEPT then fail("end of message: not accepted") end
mt.disconnect(conn)
mt.echo("PASS split")
