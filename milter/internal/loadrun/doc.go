// Package loadrun holds the scripted load run (loadrun_test.go): officemilter
// against a do-nothing milter and no milter through a private Postfix. See
// README ("Performance") for how to run it.
package loadrun
