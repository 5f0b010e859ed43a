#!/usr/bin/perl
# mimetools-leaves.pl MESSAGE
#
# Parses one message with Perl MIME-tools (MIME::Parser, Debian package
# libmime-tools-perl: the parser behind MIMEDefang and amavisd-new) and
# prints one line per leaf it exposes:
#
#   SHA-256 of the decoded body (hex) TAB content type TAB recommended filename
#   TAB SHA-256 of the body without CR bytes TAB decoded size
#   TAB transfer encoding TAB origin
#
# origin is "uu-text" for the text MIME-tools cut out around a uuencoded or
# BinHex block of a text part (a piece of that part, which it replaces by a
# multipart), "uu-file" for the file decoded from such a block, "part"
# otherwise ("bh-file" for a file from a BinHex block: MIME-tools' decoder
# writes the data fork's and the resource fork's CRCs after the data, so the
# sums are of the data without those last 4 bytes, right for the usual empty
# resource fork).
#
# (The columns after the name let the test accept text whose line ends MIME-tools
# changed: its 7bit/8bit decoder turns some CRLFs into LF.)
# The parser is set up as those products use it: bodies in core, nested
# message/rfc822 parsed as messages, errors tolerated, and uuencoded blocks
# in text parts extracted (MIMEDefang turns that on). Used by
# inspect/mime/differential_test.go; parse problems go to stderr, and the
# exit status is 0 whenever an entity came out of the parse.
use strict;
use warnings;
use MIME::Parser;
use Digest::SHA qw(sha256_hex);

@ARGV == 1 or die "usage: $0 MESSAGE\n";
my $file = $ARGV[0];

my $parser = MIME::Parser->new;
$parser->output_to_core(1);
$parser->extract_nested_messages(1);
$parser->extract_uuencode(1);
$parser->ignore_errors(1);
$parser->decode_bodies(1);

open(my $in, '<:raw', $file) or die "$file: $!\n";
my $ent = eval { $parser->parse($in) };
close($in);
if ($@) {
    print STDERR "parse: $@";
}
$ent ||= $parser->last_entity;
if (!$ent) {
    print STDERR "no entity\n";
    exit 1;
}
binmode(STDOUT, ':raw');
my %origin;
for my $e ($ent->parts_DFS) {
    my $pre = join('', @{ $e->preamble || [] });
    next unless $e->parts && $pre =~ /^The following is a multipart MIME message which was extracted\nfrom a (\w+)-encoded/;
    my $how = $1;
    for my $p ($e->parts) {
        my $named = ($p->head->recommended_filename // '') ne '';
        $origin{$p} = (!$named && $p->head->mime_type eq 'text/plain') ? 'uu-text'
            : $how eq 'binhex' ? 'bh-file' : 'uu-file';
    }
}
for my $e ($ent->parts_DFS) {
    next if $e->parts;
    my $b = $e->bodyhandle or next;
    my $data = $b->as_string;
    $data = '' unless defined $data;
    $data = substr($data, 0, length($data) - 4) if ($origin{$e} // '') eq 'bh-file' && length($data) >= 4;
    my $type = $e->head->mime_type // '';
    my $name = $e->head->recommended_filename // '';
    $name =~ s/[\t\r\n]/ /g;
    (my $norm = $data) =~ tr/\r//d;
    my $enc = lc($e->head->mime_encoding // '');
    print join("\t", sha256_hex($data), $type, $name, sha256_hex($norm), length($data),
        $enc, $origin{$e} // 'part'), "\n";
}
exit 0;
