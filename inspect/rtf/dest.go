package rtf

// destinations are the control words that start a destination whose text is
// not part of the enclosing one (Rich Text Format Specification 1.9.1,
// "Destinations" and the per-feature destination lists). Within \objdata,
// text in a nested group that does not open a destination is hex data like
// the rest (Word reads it so); a nested destination's text is not.
//
// The words this package collects text for (objdata, objclass, fldinst) are
// handled before this table is consulted.
var destinations = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		// Document and font/colour/style tables, information group.
		"fonttbl", "colortbl", "stylesheet", "info", "title", "subject",
		"author", "manager", "company", "operator", "category", "keywords",
		"comment", "doccomm", "hlinkbase", "creatim", "revtim", "printim",
		"buptim", "userprops", "propname", "staticval", "generator",
		"filetbl", "file", "revtbl", "rsidtbl", "protusertbl", "listtable",
		"listoverridetable", "list", "listlevel", "leveltext",
		"levelnumbers", "listname", "liststylename", "listoverride",
		"lfolevel", "listpicture", "listtext", "pntext", "pntxta", "pntxtb",
		"pn", "pnseclvl", "latentstyles", "lsdlockedexcept", "themedata",
		"colorschememapping", "datastore", "xmlnstbl", "xmlopen", "xmlclose",
		"xmlname", "xmlattrname", "xmlattrvalue", "docvar", "template",
		"password", "passwordhash", "pgptbl", "pgp", "wgrffmtfilter",
		"windowcaption", "writereservation", "writereservhash", "defchp",
		"defpap", "mailmerge", "fchars", "lchars", "gridtbl", "oldcprops",
		"oldpprops", "oldsprops", "oldtprops", "panose", "falt", "fontemb",
		"fontfile", "factoidname", "background", "nesttableprops",
		"nonesttables", "ebcstart", "ebcend", "protstart", "protend",
		"hsv", "tc", "txe", "xe", "rxe", "upr", "ud", "g", "atrfstart",
		"atrfend", "xform",
		// Headers, footers, notes, annotations, bookmarks.
		"header", "headerl", "headerr", "headerf", "footer", "footerl",
		"footerr", "footerf", "footnote", "ftnsep", "ftnsepc", "ftncn",
		"aftnsep", "aftnsepc", "aftncn", "annotation", "atnid", "atnauthor",
		"atndate", "atnref", "atnparent", "bkmkstart", "bkmkend",
		// Pictures, shapes, drawing objects.
		"pict", "shppict", "nonshppict", "picprop", "blipuid", "shp",
		"shpinst", "shptxt", "shprslt", "shpgrp", "sp", "sn", "sv", "svb",
		"do", "dptxbxtext",
		// Objects and fields (objdata, objclass and fldinst are collected).
		"object", "objname", "objalias", "objsect", "objtime", "oleclsid",
		"result", "field", "fldrslt", "fldtype", "datafield", "formfield",
		"ffname", "ffdeftext", "ffformat", "ffhelptext", "ffstattext",
		"ffentrymcr", "ffexitmcr", "ffl", "hl", "hlfr", "hlloc", "hlsrc",
		// Mail merge and math.
		"mmaddfieldname", "mmconnectstr", "mmconnectstrdata", "mmdatasource",
		"mmheadersource", "mmmailsubject", "mmodso", "mmodsofilter",
		"mmodsofldmpdata", "mmodsomappedname", "mmodsoname",
		"mmodsorecipdata", "mmodsosort", "mmodsosrc", "mmodsotable",
		"mmodsoudl", "mmodsoudldata", "mmodsouniquetag", "mmquery",
		"moMath", "moMathPara", "moMathParaPr", "mr", "mf", "mfPr", "me",
		"mnum", "mden", "msub", "msup", "md", "mdPr", "mrad", "mradPr",
		"mdeg", "mnary", "mnaryPr", "mfunc", "mfName", "mctrlPr", "mrPr",
		"macc", "maccPr", "mbar", "mbarPr", "mbox", "mboxPr", "meqArr",
		"mlim", "mlimLow", "mlimUpp", "mm", "mmPr", "mphant", "msPre",
		"msSub", "msSubSup", "msSup", "mchr", "mbegChr", "mendChr",
		"msepChr", "mgroupChr", "mmathPict", "margSz",
	} {
		m[w] = true
	}
	return m
}()
