// tlogcheck verifies oncegate's published transfer log with Go's own transparency-log code
// (golang.org/x/mod/sumdb/note and sumdb/tlog, from Debian's golang-golang-x-mod-dev), fetching
// only what the C2SP tlog-tiles interface serves over HTTPS:
//
//   - the checkpoint, opened with note.Open and the log's published vkey; its body (origin, size,
//     root) parsed here, since tlog.ParseTree accepts only the Go checksum database's origin;
//   - the witness's timestamped cosignature (C2SP tlog-cosignature), checked with crypto/ed25519;
//   - every hash through tlog.TileHashReader, which authenticates the tiles against the root (Go
//     names tiles tile/8/<L>/<N>: mapped to tile/<L>/<N>);
//   - inclusion proofs (tlog.ProveRecord/CheckRecord) for sampled entries, whose bytes come from
//     the entry bundles (read per C2SP: big-endian uint16 length-prefixed entries);
//   - consistency proofs (tlog.ProveTree/CheckTree) from sampled older sizes.
//
// Usage: tlogcheck -url https://127.0.0.1:8447/log/v1/ -ca ca.pem -vkey <log vkey> -witness <vkey>
// Exit 0 when everything verifies, 1 otherwise.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type server struct {
	prefix  string
	client  *http.Client
	fetched int
}

func (s *server) get(path string) ([]byte, error) {
	response, err := s.client.Get(s.prefix + path)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, 1<<24))
	if err != nil {
		return nil, err
	}
	s.fetched++
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, response.StatusCode)
	}
	return body, nil
}

// tiles: the tlog.TileReader over the C2SP paths.
type tiles struct{ s *server }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(list []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(list))
	for i, tile := range list {
		path := tile.Path() // tile/8/<L>/<N>[.p/<W>]
		if !strings.HasPrefix(path, "tile/8/") {
			return nil, fmt.Errorf("unexpected tile path %s", path)
		}
		data, err := t.s.get("tile/" + strings.TrimPrefix(path, "tile/8/"))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

// entry returns entry n from its bundle.
func (s *server) entry(n, size int64) ([]byte, error) {
	index := n / 256
	width := size - index*256
	if width > 256 {
		width = 256
	}
	path := tlog.Tile{H: 8, L: 0, N: index, W: int(width)}.Path()
	bundle, err := s.get("tile/entries/" + strings.TrimPrefix(path, "tile/8/0/"))
	if err != nil {
		return nil, err
	}
	for i := int64(0); len(bundle) >= 2; i++ {
		length := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+length {
			return nil, errors.New("truncated entry bundle")
		}
		if i == n%256 {
			return bundle[2 : 2+length], nil
		}
		bundle = bundle[2+length:]
	}
	return nil, fmt.Errorf("entry %d is not in its bundle", n)
}

// cosigned checks a timestamped Ed25519 cosignature (type 0x04) of the witness over the text.
func cosigned(text string, sigs []note.Signature, vkey string) (time.Time, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return time.Time{}, errors.New("malformed witness vkey")
	}
	material, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(material) != 33 || material[0] != 0x04 {
		return time.Time{}, errors.New("not a timestamped Ed25519 witness key")
	}
	key := ed25519.PublicKey(material[1:])
	digest := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), key...))
	id := binary.BigEndian.Uint32(digest[:4])
	if want, _ := hex.DecodeString(parts[1]); len(want) != 4 || binary.BigEndian.Uint32(want) != id {
		return time.Time{}, errors.New("the witness vkey's id does not match its key")
	}
	for _, sig := range sigs {
		if sig.Name != parts[0] || sig.Hash != id {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig.Base64)
		if err != nil || len(raw) != 4+8+64 {
			continue
		}
		stamp := binary.BigEndian.Uint64(raw[4:12])
		message := "cosignature/v1\ntime " + strconv.FormatUint(stamp, 10) + "\n" + text
		if ed25519.Verify(key, []byte(message), raw[12:]) {
			return time.Unix(int64(stamp), 0), nil
		}
	}
	return time.Time{}, errors.New("no valid cosignature of the witness")
}

func run() error {
	url := flag.String("url", "", "the log's prefix, e.g. https://127.0.0.1:8447/log/v1/")
	caFile := flag.String("ca", "", "CA bundle of the log's TLS certificate")
	vkey := flag.String("vkey", "", "the log's vkey")
	witness := flag.String("witness", "", "the witness's vkey")
	flag.Parse()
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return errors.New("no certificate in the CA file")
	}
	s := &server{prefix: strings.TrimSuffix(*url, "/") + "/", client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}

	verifier, err := note.NewVerifier(strings.TrimSpace(*vkey))
	if err != nil {
		return fmt.Errorf("the log's vkey: %w", err)
	}
	message, err := s.get("checkpoint")
	if err != nil {
		return err
	}
	n, err := note.Open(message, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("note.Open: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != verifier.Name() {
		return errors.New("the checkpoint does not name the log's origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 2 {
		return fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return fmt.Errorf("checkpoint root: %w", err)
	}
	stamp, err := cosigned(n.Text, n.UnverifiedSigs, strings.TrimSpace(*witness))
	if err != nil {
		return err
	}

	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tiles{s})
	if th, err := tlog.TreeHash(size, hashes); err != nil || th != root {
		return fmt.Errorf("the tiles do not give the checkpoint's root: %v", err)
	}
	checked := 0
	for _, index := range []int64{0, 1, size / 3, size / 2, size - 2, size - 1} {
		data, err := s.entry(index, size)
		if err != nil {
			return err
		}
		if len(data) != 33 || data[0] != 0x01 {
			return fmt.Errorf("entry %d is not a commitment (%d bytes)", index, len(data))
		}
		proof, err := tlog.ProveRecord(size, index, hashes)
		if err != nil {
			return fmt.Errorf("inclusion proof of %d: %w", index, err)
		}
		if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(data)); err != nil {
			return fmt.Errorf("entry %d is not in the tree: %w", index, err)
		}
		checked++
	}
	for _, old := range []int64{1, size / 2, size - 1} {
		oldHash, err := tlog.TreeHash(old, hashes)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveTree(size, old, hashes)
		if err != nil {
			return fmt.Errorf("consistency proof from %d: %w", old, err)
		}
		if err := tlog.CheckTree(proof, size, root, old, oldHash); err != nil {
			return fmt.Errorf("the tree of %d does not extend the tree of %d: %w", size, old, err)
		}
	}
	fmt.Printf("interop OK: %s size %d, signature verified by sumdb/note, cosigned %s, tiles authenticated by "+
		"sumdb/tlog, %d inclusion and 3 consistency proofs checked, %d resources fetched\n",
		lines[0], size, stamp.UTC().Format(time.RFC3339), checked, s.fetched)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "interop FAILED:", err)
		os.Exit(1)
	}
}
