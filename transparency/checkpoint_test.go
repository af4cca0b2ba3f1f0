package transparency

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Keys of the tests, made with GenerateKey; they sign nothing but tests
// and the fuzz corpora under testdata/fuzz.
const (
	testOrigin  = "accord.example/ledger"
	testSKey    = "PRIVATE+KEY+accord.example/ledger+249fd039+ASOjT1I48u63Dey9Il8dyY8NFK3oU8O6yCTtAbTZXcaV"
	testVKey    = "accord.example/ledger+249fd039+AWL8Gpud5JH86A9WW1ExajeHENEecgLsp1j3BejdfIYg"
	witnessSKey = "PRIVATE+KEY+witness.example+1bba49ac+AYjSyk9EqU81hM5PTnkEl1BoiBF+UU/z9HkXd2U+aFCA"
	witnessVKey = "witness.example+1bba49ac+ARSc4f6IEGzPUiRC6T0bgzXTS81h8g91Yf4kUmjqCL0Y"
)

func signer(t testing.TB, skey string) note.Signer {
	t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sign signs cp with the test key.
func sign(t testing.TB, cp Checkpoint) []byte {
	t.Helper()
	b, err := Sign(cp, signer(t, testSKey))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHash(t testing.TB, b64 string) tlog.Hash {
	t.Helper()
	h, err := tlog.ParseHash(b64)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The example of https://c2sp.org/tlog-checkpoint.
const specExample = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

func TestCheckpointText(t *testing.T) {
	cp, err := ParseCheckpoint([]byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	want := Checkpoint{Origin: "example.com/behind-the-sofa", Size: 20852163, Root: mustHash(t, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")}
	if !cp.equal(want) || cp.Extra != nil {
		t.Fatalf("ParseCheckpoint = %+v, want %+v", cp, want)
	}
	if got := string(cp.Text()); got != specExample {
		t.Fatalf("Text = %q, want %q", got, specExample)
	}
	ext := specExample + "ext one\n\u2014 two\n"
	cp, err = ParseCheckpoint([]byte(ext))
	if err != nil || len(cp.Extra) != 2 || cp.Extra[1] != "\u2014 two" || string(cp.Text()) != ext {
		t.Fatalf("with extension lines: %+v, %v", cp, err)
	}
	empty := Checkpoint{Origin: "o", Size: 0, Root: EmptyRoot()}
	if cp, err := ParseCheckpoint(empty.Text()); err != nil || !cp.equal(empty) {
		t.Fatalf("empty tree: %+v, %v", cp, err)
	}
}

func TestParseCheckpointStrict(t *testing.T) {
	root := "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
	for _, c := range []struct{ text, want string }{
		{"", "it is empty"},
		{"o\n1\n" + root, "does not end with a newline"},
		{"o\n1\n", "it has 2"},
		{"\n1\n" + root + "\n", "line 1 is empty"},
		{"o\n\n" + root + "\n", "line 2 is empty"},
		{"o\n1\n" + root + "\n\n", "line 4 is empty"},
		{"o\n1\n" + root + "\n\next\n", "line 4 is empty"},
		{"o\n01\n" + root + "\n", "leading zero"},
		{"o\n00\n" + root + "\n", "leading zero"},
		{"o\n-1\n" + root + "\n", "not a decimal number"},
		{"o\n+1\n" + root + "\n", "not a decimal number"},
		{"o\n 1\n" + root + "\n", "not a decimal number"},
		{"o\n1 \n" + root + "\n", "not a decimal number"},
		{"o\n0x10\n" + root + "\n", "not a decimal number"},
		{"o\n\u0661\n" + root + "\n", "not a decimal number"}, // an Arabic-Indic one
		{"o\n4611686018427387905\n" + root + "\n", "over 2^62"},
		{"o\n9223372036854775808\n" + root + "\n", "over 2^62"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "not standard base64"},  // unpadded
		{"o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n", "not standard base64"}, // URL alphabet
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "not standard base64"}, // stray bits
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n", "is 30 bytes"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n", "is 33 bytes"},
		{"o\n1\n" + strings.Repeat("A", 88) + "\n", "is 66 bytes"},
		{"o\n0\n" + root + "\n", "the tree of size 0 has root"},
		{"o\r\n1\r\n" + root + "\r\n", "carriage return"},
		{"o\tp\n1\n" + root + "\n", "line 1 has a control character"},
		{"o\n1\n" + root + "\nx\x00\n", "line 4 has a control character"},
		{"o\xff\n1\n" + root + "\n", "line 1 is not valid UTF-8"},
		{specExample + "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n", "line 4 is empty"}, // a signed note
	} {
		_, err := ParseCheckpoint([]byte(c.text))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseCheckpoint(%q) = %v, want ErrMalformed saying %q", c.text, err, c.want)
		}
	}
	if _, err := ParseCheckpoint([]byte("o\n4611686018427387904\n" + root + "\n")); err != nil {
		t.Errorf("a checkpoint of 2^62 leaves: %v", err)
	}
}

func TestSignOpen(t *testing.T) {
	skey, vkey, err := GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(skey, "PRIVATE+KEY+"+testOrigin+"+") || !strings.HasPrefix(vkey, testOrigin+"+") {
		t.Fatalf("GenerateKey = %q, %q", skey, vkey)
	}
	cp := Checkpoint{Origin: testOrigin, Size: 1283, Root: tlog.RecordHash([]byte("x")), Extra: []string{"ext"}}
	signed, err := Sign(cp, signer(t, skey))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, append(cp.Text(), "\n\u2014 "+testOrigin+" "...)) {
		t.Fatalf("signed note:\n%s", signed)
	}
	got, err := Open(signed, verifier(t, vkey))
	if err != nil || !got.equal(cp) {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, cp)
	}
	u, err := ParseSigned(signed)
	if err != nil || !u.Checkpoint.equal(cp) || len(u.Signatures) != 1 || u.Signatures[0].Name != testOrigin {
		t.Fatalf("ParseSigned = %+v, %v", u, err)
	}

	for _, o := range []string{"", "a b", "a+b", "a\nb", "a\u00a0b"} {
		if _, _, err := GenerateKey(o); err == nil {
			t.Errorf("GenerateKey(%q): no error", o)
		}
	}
	for _, c := range []struct {
		cp   Checkpoint
		want error
	}{
		{Checkpoint{Origin: "other.example", Size: 1, Root: cp.Root}, ErrWrongLog},
		{Checkpoint{Origin: testOrigin + "\n2", Size: 1, Root: cp.Root}, ErrMalformed},
		{Checkpoint{Origin: testOrigin, Size: 1, Root: cp.Root, Extra: []string{""}}, ErrMalformed},
		{Checkpoint{Origin: testOrigin, Size: 1, Root: cp.Root, Extra: []string{"a\nb"}}, ErrMalformed},
		{Checkpoint{Origin: testOrigin, Size: -1, Root: cp.Root}, ErrMalformed},
		{Checkpoint{Origin: testOrigin, Size: 0, Root: cp.Root}, ErrMalformed},
	} {
		if _, err := Sign(c.cp, signer(t, skey)); !errors.Is(err, c.want) {
			t.Errorf("Sign(%+v) = %v, want %v", c.cp, err, c.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	cp := Checkpoint{Origin: testOrigin, Size: 10, Root: tlog.RecordHash([]byte("x"))}
	signed := sign(t, cp)
	v := verifier(t, testVKey)
	text, sigLine, _ := strings.Cut(string(signed), "\n\n")
	text += "\n"
	// Another key of the same name, and a witness's.
	_, otherV, err := GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(&note.Note{Text: text}, signer(t, testSKey), signer(t, witnessSKey))
	if err != nil {
		t.Fatal(err)
	}
	witnessOnly, err := note.Sign(&note.Note{Text: text}, signer(t, witnessSKey))
	if err != nil {
		t.Fatal(err)
	}
	otherOrigin, err := note.Sign(&note.Note{Text: strings.Replace(text, testOrigin, "other.example", 1)}, signer(t, testSKey))
	if err != nil {
		t.Fatal(err)
	}
	notCheckpoint, err := note.Sign(&note.Note{Text: "hello\n"}, signer(t, testSKey))
	if err != nil {
		t.Fatal(err)
	}
	sigB64 := strings.Fields(sigLine)[2]
	flipped := []byte(sigB64)
	flipped[10] ^= 'A' ^ 'B'
	if flipped[10] == sigB64[10] {
		flipped[10] ^= 1
	}

	if got, err := Open(cosigned, v); err != nil || !got.equal(cp) {
		t.Errorf("cosigned by a witness: %+v, %v", got, err)
	}
	if u, err := ParseSigned(cosigned); err != nil || len(u.Signatures) != 2 {
		t.Errorf("ParseSigned of the cosigned note: %+v, %v", u, err)
	}
	for _, c := range []struct {
		name   string
		signed string
		v      note.Verifier
		want   error
		says   string
		parses bool // ParseSigned reads it
	}{
		{"size changed", strings.Replace(string(signed), "\n10\n", "\n11\n", 1), v, ErrBadSignature, "does not verify", true},
		{"signature changed", strings.Replace(string(signed), sigB64, string(flipped), 1), v, ErrBadSignature, "the signature by " + testOrigin + "+249fd039", true},
		{"another key of that name", string(signed), verifier(t, otherV), ErrUnknownKey, "it is signed by " + testOrigin + "+249fd039, the key given is " + strings.Join(strings.SplitN(otherV, "+", 3)[:2], "+"), true},
		{"a witness's signature only", string(witnessOnly), v, ErrUnknownKey, "signed by witness.example+1bba49ac", true},
		{"a checkpoint of another origin", string(otherOrigin), v, ErrWrongLog, `its origin is "other.example"`, true},
		{"not a checkpoint", string(notCheckpoint), v, ErrMalformed, "it has 1", false},
		{"no signature", text, v, ErrMalformed, "no blank line before the signatures", false},
		{"blank line, no signature", text + "\n", v, ErrMalformed, "no signature after the blank line", false},
		{"unended signature line", strings.TrimSuffix(string(signed), "\n"), v, ErrMalformed, "does not end with a newline", false},
		{"hyphen for em dash", strings.Replace(string(signed), "\u2014", "-", 1), v, ErrMalformed, "signature line 1 does not start with an em dash", false},
		{"signature not base64", strings.Replace(string(signed), sigB64, "!!", 1), v, ErrMalformed, "signature line 1: the signature is not base64", false},
		{"no signature text", strings.Replace(string(signed), " "+sigB64, "", 1), v, ErrMalformed, "signature line 1: the signature is not base64", false},
		{"CRLF", strings.ReplaceAll(string(signed), "\n", "\r\n"), v, ErrMalformed, "carriage return", false},
		{"empty", "", v, ErrMalformed, "no blank line", false},
	} {
		_, err := Open([]byte(c.signed), c.v)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: Open = %v; want %v saying %q", c.name, err, c.want, c.says)
		}
		if _, err := ParseSigned([]byte(c.signed)); (err == nil) != c.parses {
			t.Errorf("%s: ParseSigned = %v", c.name, err)
		}
	}
	if _, err := Open(signed, nil); err == nil {
		t.Error("Open without a verifier: no error")
	}
}

// FuzzParseCheckpoint: what ParseCheckpoint accepts, Text writes back byte
// for byte; what it refuses, it refuses as ErrMalformed.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte(specExample))
	f.Fuzz(func(t *testing.T, text []byte) {
		cp, err := ParseCheckpoint(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if got := cp.Text(); !bytes.Equal(got, text) {
			t.Fatalf("Text = %q, read from %q", got, text)
		}
		if cp.Size < 0 || cp.Size > MaxSize || cp.Size == 0 && cp.Root != EmptyRoot() {
			t.Fatalf("accepted %+v", cp)
		}
	})
}

// FuzzOpen: Open and ParseSigned agree with each other and with note.Open
// on what a signed note is.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(specExample))
	v := verifier(f, testVKey)
	f.Fuzz(func(t *testing.T, msg []byte) {
		cp, err := Open(msg, v)
		u, perr := ParseSigned(msg)
		_, _, serr := splitNote(msg)
		_, nerr := note.Open(msg, nil)
		var unverified *note.UnverifiedNoteError
		if (serr == nil) != errors.As(nerr, &unverified) {
			t.Fatalf("splitNote: %v; note.Open: %v", serr, nerr)
		}
		if err == nil {
			if perr != nil || !u.Checkpoint.equal(cp) {
				t.Fatalf("Open = %+v; ParseSigned = %+v, %v", cp, u, perr)
			}
			if !bytes.HasPrefix(msg, append(cp.Text(), '\n')) {
				t.Fatalf("Open = %+v from %q", cp, msg)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrWrongLog) {
			t.Fatalf("Open: unclassified error %v", err)
		}
		if perr != nil && !errors.Is(perr, ErrMalformed) {
			t.Fatalf("ParseSigned: unclassified error %v", perr)
		}
		if errors.Is(err, ErrMalformed) && perr == nil {
			t.Fatalf("Open: %v; ParseSigned: %v", err, perr)
		}
	})
}

// TestVerifierKey: the verifier key derived from a signer key is the one
// GenerateKey gave with it, and verifies what the signer key signs.
func TestVerifierKey(t *testing.T) {
	skey, vkey, err := GenerateKey("accord.example.coop/ledger")
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifierKey(skey)
	if err != nil || got != vkey {
		t.Fatalf("VerifierKey = %q, %v; want %q", got, err, vkey)
	}
	for _, bad := range []string{"", vkey, "PRIVATE+KEY+x+00000000+AAAA", strings.Replace(skey, "PRIVATE+KEY+", "PRIVATE+KEY+other", 1)} {
		if _, err := VerifierKey(bad); err == nil {
			t.Errorf("VerifierKey(%q) accepted", bad)
		}
	}
}
