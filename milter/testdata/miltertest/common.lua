-- Shared steps of officemilter's miltertest scripts. miltertest (Debian)
-- plays the MTA; the Go test defines the globals addr, body, ctype, rcpt,
-- rcpt2 and subject with -D. Debian's build prints nothing for error(), so
-- failures are echoed and end the script with exit status 1.
function fail(msg)
	mt.echo("FAIL: " .. msg)
	os.exit(1)
end

function start()
	local conn = mt.connect(addr, 40, 0.25)
	if conn == nil then fail("cannot connect to " .. addr) end
	if mt.conninfo(conn, "client.example", "192.0.2.1") ~= nil then fail("conninfo") end
	if mt.helo(conn, "client.example") ~= nil then fail("helo") end
	mt.macro(conn, SMFIC_MAIL, "i", "4ABC12")
	if mt.mailfrom(conn, "erika@example.com") ~= nil then fail("mailfrom") end
	return conn
end

function rcptto(conn, who, want, what)
	if mt.rcptto(conn, who) ~= nil then fail("rcptto " .. who) end
	if mt.getreply(conn) ~= want then fail(what .. ": unexpected reply to RCPT " .. who) end
end

function message(conn)
	if mt.header(conn, "From", " Erika Mustermann <erika@example.com>") ~= nil then fail("header") end
	if mt.header(conn, "To", " <" .. rcpt .. ">") ~= nil then fail("header") end
	if mt.header(conn, "Subject", " " .. subject) ~= nil then fail("header") end
	if mt.header(conn, "MIME-Version", " 1.0") ~= nil then fail("header") end
	if mt.header(conn, "Content-Type", " " .. ctype) ~= nil then fail("header") end
	if mt.eoh(conn) ~= nil then fail("eoh") end
	if mt.bodyfile(conn, body) ~= nil then fail("bodyfile") end
	if mt.eom(conn) ~= nil then fail("eom") end
end
