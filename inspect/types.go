package inspect

import (
	"path"
	"strings"
)

// Type names as users say them (ARCHITECTURE.md). A file's type is decided by
// its content; the name only refines it within one family (a PowerPoint
// binary named .pps is a "pps", not a "ppt") and is reported when it
// disagrees.
const (
	TypeDoc    = "doc"
	TypeDot    = "dot"
	TypeXLS    = "xls"
	TypeXLT    = "xlt"
	TypePPT    = "ppt"
	TypePOT    = "pot"
	TypePPS    = "pps"
	TypeDOCX   = "docx"
	TypeDOCM   = "docm"
	TypeDOTX   = "dotx"
	TypeDOTM   = "dotm"
	TypeXLSX   = "xlsx"
	TypeXLSM   = "xlsm"
	TypeXLSB   = "xlsb"
	TypeXLTX   = "xltx"
	TypeXLTM   = "xltm"
	TypeXLAM   = "xlam"
	TypePPTX   = "pptx"
	TypePPTM   = "pptm"
	TypePPSX   = "ppsx"
	TypePPSM   = "ppsm"
	TypePOTX   = "potx"
	TypePOTM   = "potm"
	TypeODT    = "odt"
	TypeOTT    = "ott"
	TypeODS    = "ods"
	TypeODP    = "odp"
	TypeODG    = "odg"
	TypeFODT   = "fodt"
	TypeFODS   = "fods"
	TypeFODP   = "fodp"
	TypeSXW    = "sxw"
	TypeSXC    = "sxc"
	TypeSXI    = "sxi"
	TypeSXD    = "sxd"
	TypePDF    = "pdf"
	TypeRTF    = "rtf"
	TypeTXT    = "txt"
	TypeSLK    = "slk"
	TypeZIP    = "zip"
	TypeJAR    = "jar"
	Type7Z     = "7z"
	TypeRAR    = "rar"
	TypeGZ     = "gz"
	TypeBZ2    = "bz2"
	TypeXZ     = "xz"
	TypeTAR    = "tar"
	TypeCAB    = "cab"
	TypeISO    = "iso"
	TypeIMG    = "img"  // a raw disk image or bare volume (FAT, with or without a partition table)
	TypeVHD    = "vhd"  // a Virtual Hard Disk (fixed or dynamic)
	TypeVHDX   = "vhdx" // a Hyper-V VHDX virtual disk
	TypeTNEF   = "tnef"
	TypeEML    = "eml"
	TypeMSG    = "msg"
	TypePE     = "pe"
	TypeELF    = "elf"
	TypeMachO  = "macho"
	TypeScript = "script"
	TypeLNK    = "lnk"
	TypeMSI    = "msi"
	// TypeMSIX is a Windows app package or bundle (.msix .appx .msixbundle
	// .appxbundle): an installer in a zip with [Content_Types].xml.
	TypeMSIX = "msix"
	// TypeAppInstaller is an App Installer file (.appinstaller): XML that
	// makes Windows download and install an MSIX package.
	TypeAppInstaller = "appinstaller"
	TypeOLE          = "ole"
	TypeP7M          = "p7m" // CMS SignedData with content or EnvelopedData (RFC 5652 5.1, 6.1): what it carries is a child
	TypeP7S          = "p7s" // a detached CMS signature (no content)
	TypeOne          = "one" // a OneNote revision store file (.one section, .onetoc2 table of contents)
	TypeCHM          = "chm" // Microsoft compiled HTML help ("ITSF"): runs script, launches programs
	TypeOther        = "other"
)

// Office's XML and MIME shells: text files Word and Excel open as
// documents, and the ActiveMime blob they carry macros in (inspect/officexml).
const (
	TypeWordXML    = "wordxml"    // Word 2003 XML (WordprocessingML 2003)
	TypeXLSXML     = "xlsxml"     // Excel 2003 XML (SpreadsheetML 2003)
	TypeFlatOPC    = "flatopc"    // an OOXML package as one XML file (pkg:package)
	TypeMHT        = "mht"        // a "single file web page" (MIME multipart/related) Office opens
	TypeActiveMime = "activemime" // an ActiveMime blob ("editdata.mso"): zlib of a compound file

	TypeHTML = "html" // HTML a browser renders (and runs)
	TypeSVG  = "svg"  // SVG: XML a browser renders, scripts included
)

// TypeNames lists every type name, in the order of ARCHITECTURE.md.
var TypeNames = []string{
	TypeDoc, TypeDot, TypeXLS, TypeXLT, TypePPT, TypePOT, TypePPS,
	TypeDOCX, TypeDOCM, TypeDOTX, TypeDOTM, TypeXLSX, TypeXLSM, TypeXLSB,
	TypeXLTX, TypeXLTM, TypeXLAM, TypePPTX, TypePPTM, TypePPSX, TypePPSM,
	TypePOTX, TypePOTM, TypeODT, TypeOTT, TypeODS, TypeODP, TypeODG,
	TypeFODT, TypeFODS, TypeFODP, TypeSXW, TypeSXC, TypeSXI, TypeSXD,
	TypePDF, TypeRTF, TypeTXT, TypeSLK, TypeZIP, TypeJAR, Type7Z, TypeRAR,
	TypeGZ, TypeBZ2, TypeXZ, TypeTAR, TypeCAB, TypeISO, TypeIMG, TypeVHD, TypeVHDX, TypeTNEF, TypeEML, TypeMSG, TypePE, TypeELF, TypeMachO,
	TypeScript, TypeLNK, TypeMSI, TypeMSIX, TypeAppInstaller, TypeOLE, TypeP7M, TypeP7S, TypeOne, TypeCHM,
	TypeWordXML, TypeXLSXML, TypeFlatOPC, TypeMHT, TypeActiveMime, TypeHTML, TypeSVG, TypeOther,
}

// ValidType reports whether t is one of TypeNames.
func ValidType(t string) bool {
	for _, x := range TypeNames {
		if x == t {
			return true
		}
	}
	return false
}

// LegacyOffice reports whether t is a Word/Excel/PowerPoint 97-2003 binary
// type (templates included).
func LegacyOffice(t string) bool {
	switch t {
	case TypeDoc, TypeDot, TypeXLS, TypeXLT, TypePPT, TypePOT, TypePPS:
		return true
	}
	return false
}

// typeFamily groups types that content alone cannot tell apart, so that the
// file name may pick the member: a Word binary can be a document or a template.
var typeFamily = map[string]string{
	TypeDoc: "word97", TypeDot: "word97",
	TypeXLS: "excel97", TypeXLT: "excel97",
	TypePPT: "ppt97", TypePOT: "ppt97", TypePPS: "ppt97",
	TypeZIP: "zip", TypeJAR: "zip",
	TypeTXT: "text", TypeScript: "text",
}

// SameFamily reports whether a and b are types content cannot distinguish.
func SameFamily(a, b string) bool {
	if a == b {
		return true
	}
	fa, ok := typeFamily[a]
	return ok && fa == typeFamily[b]
}

// extTypes maps lower-case file name extensions to the type they claim.
var extTypes = map[string]string{
	"doc": TypeDoc, "dot": TypeDot, "wbk": TypeDoc,
	"xls": TypeXLS, "xlt": TypeXLT, "xla": TypeXLS,
	"ppt": TypePPT, "pot": TypePOT, "pps": TypePPS,
	"docx": TypeDOCX, "docm": TypeDOCM, "dotx": TypeDOTX, "dotm": TypeDOTM,
	"xlsx": TypeXLSX, "xlsm": TypeXLSM, "xlsb": TypeXLSB, "xltx": TypeXLTX,
	"xltm": TypeXLTM, "xlam": TypeXLAM,
	"pptx": TypePPTX, "pptm": TypePPTM, "ppsx": TypePPSX, "ppsm": TypePPSM,
	"potx": TypePOTX, "potm": TypePOTM,
	"odt": TypeODT, "ott": TypeOTT, "ods": TypeODS, "odp": TypeODP, "odg": TypeODG,
	"fodt": TypeFODT, "fods": TypeFODS, "fodp": TypeFODP,
	"sxw": TypeSXW, "sxc": TypeSXC, "sxi": TypeSXI, "sxd": TypeSXD,
	"pdf": TypePDF, "rtf": TypeRTF,
	"txt": TypeTXT, "text": TypeTXT, "csv": TypeTXT, "log": TypeTXT,
	"slk": TypeSLK, "sylk": TypeSLK,
	"zip": TypeZIP, "jar": TypeJAR, "7z": Type7Z, "rar": TypeRAR,
	"gz": TypeGZ, "tgz": TypeGZ, "bz2": TypeBZ2, "tbz2": TypeBZ2, "xz": TypeXZ,
	"txz": TypeXZ, "tar": TypeTAR, "cab": TypeCAB, "iso": TypeISO, "img": TypeIMG,
	"vhd": TypeVHD, "vhdx": TypeVHDX,
	"tnef": TypeTNEF,
	"eml":  TypeEML, "msg": TypeMSG,
	"exe": TypePE, "dll": TypePE, "scr": TypePE, "sys": TypePE, "cpl": TypePE,
	"ocx": TypePE, "com": TypePE, "pif": TypePE, "efi": TypePE,
	"elf": TypeELF, "so": TypeELF,
	"dylib": TypeMachO,
	"lnk":   TypeLNK,
	"msi":   TypeMSI, "msp": TypeMSI,
	"p7m": TypeP7M, "p7s": TypeP7S,
	"msix": TypeMSIX, "appx": TypeMSIX, "msixbundle": TypeMSIX, "appxbundle": TypeMSIX,
	"appinstaller": TypeAppInstaller,
	"one":          TypeOne, "onetoc2": TypeOne, "chm": TypeCHM,
	"mht": TypeMHT, "mhtml": TypeMHT, "mso": TypeActiveMime,
	"html": TypeHTML, "htm": TypeHTML, "shtml": TypeHTML, "shtm": TypeHTML,
	"xhtml": TypeHTML, "xht": TypeHTML, "svg": TypeSVG,
}

// MessageType is the type of a message (FamilyEML content) named name.
// Word, Excel and PowerPoint open a MIME multipart/related "single file web
// page" saved as .mht/.mhtml or under a legacy Office name (.doc, .xls ...)
// as a document: such a file is an "mht" (the engine adds the legacy-office
// finding a legacy name calls for); any other message is an "eml".
func MessageType(name string) string {
	if t := TypeFromName(name); t == TypeMHT || LegacyOffice(t) {
		return TypeMHT
	}
	return TypeEML
}

// ScriptExts are the extensions Windows or a shell runs as code when the file
// is opened. A text file with one of these names is a script, whatever it
// contains: the name decides what the recipient's system does with it.
var ScriptExts = map[string]string{
	"js": "jscript", "jse": "jscript-encoded", "vbs": "vbscript",
	"vbe": "vbscript-encoded", "vb": "vbscript", "wsf": "windows-script-file",
	"wsh": "windows-script-host", "wsc": "windows-script-component",
	"sct": "scriptlet", "ps1": "powershell", "psm1": "powershell",
	"psd1": "powershell", "ps1xml": "powershell", "psc1": "powershell",
	"bat": "batch", "cmd": "batch", "hta": "hta", "sh": "shell",
	"bash": "shell", "ksh": "shell", "csh": "shell", "zsh": "shell",
	"command": "shell", "py": "python", "pyw": "python", "pl": "perl",
	"rb": "ruby", "php": "php", "reg": "registry", "inf": "setup-information",
	"scf": "shell-command-file", "url": "internet-shortcut",
	"application": "clickonce", "appref-ms": "clickonce",
	"msc": "management-console", "settingcontent-ms": "settings-shortcut",
	"library-ms": "library-shortcut", "xll": "excel-add-in",
	"gadget": "gadget", "jnlp": "java-web-start", "iqy": "excel-web-query",
}

// Ext returns the lower-case extension of a file name without the dot
// ("report.DOC" → "doc"). Windows and MIME names may use backslashes.
func Ext(name string) string {
	// Windows ignores trailing dots and spaces: "x.doc. " opens as x.doc.
	base := strings.TrimRight(path.Base(strings.ReplaceAll(name, "\\", "/")), " .")
	e := path.Ext(base)
	if e == "" {
		return ""
	}
	return strings.ToLower(e[1:])
}

// TypeFromName returns the type a file name claims ("" when it claims none
// officemilter knows). "winmail.dat" is TNEF by convention.
func TypeFromName(name string) string {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if base == "winmail.dat" || base == "win.dat" {
		return TypeTNEF
	}
	e := Ext(name)
	if t, ok := extTypes[e]; ok {
		return t
	}
	if _, ok := ScriptExts[e]; ok {
		return TypeScript
	}
	return ""
}
