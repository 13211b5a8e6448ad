// Command tlogcheck checks the ledger's transparency log with reference Go code we did not write:
// golang.org/x/mod/sumdb/tlog and sumdb/note for tiles, roots, proofs and notes, and
// filippo.io/torchwood for witness policies and tlog-proofs. It is a test oracle of the
// ledger's interop tests (tests/interop), built by tests/interop/go/setup.sh.
//
//	tlogcheck tiles  -src URL|DIR -vkey VKEY [-checkpoint FILE] [-old FILE] [-all]
//	tlogcheck policy -policy FILE (-checkpoint FILE | -proof FILE)
//
// Every result is one JSON object on stdout; any failed check exits 1 with the reason on stderr.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: tlogcheck tiles|policy ..."))
	}
	var err error
	switch os.Args[1] {
	case "tiles":
		err = tiles(os.Args[2:])
	case "policy":
		err = policy(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tlogcheck:", err)
	os.Exit(1)
}

// source reads <prefix>/<path> over HTTP or from a directory. Tiles are immutable at their
// path (c2sp.org/tlog-tiles: a partial tile's width is in its path), so a tile is fetched once
// per run and kept, as golang.org/x/mod/sumdb's client keeps them: x/mod's TileHashReader asks
// for the same tile again for every hash it reads (hundreds of requests for a few tiles). The
// checkpoint, which changes, is never kept.
type source struct {
	prefix string
	client *http.Client
	gets   int
	tiles  map[string][]byte
}

func (s *source) get(path string) ([]byte, error) {
	if data, ok := s.tiles[path]; ok {
		return data, nil
	}
	data, err := s.fetch(path)
	if err == nil && strings.HasPrefix(path, "tile/") {
		if s.tiles == nil {
			s.tiles = map[string][]byte{}
		}
		s.tiles[path] = data
	}
	return data, err
}

func (s *source) fetch(path string) ([]byte, error) {
	s.gets++
	if !strings.HasPrefix(s.prefix, "http://") && !strings.HasPrefix(s.prefix, "https://") {
		return os.ReadFile(filepath.Join(s.prefix, filepath.FromSlash(path)))
	}
	resp, err := s.client.Get(strings.TrimSuffix(s.prefix, "/") + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// c2spPath maps an x/mod tile (go.dev/design/25530-sumdb paths) to its c2sp.org/tlog-tiles path.
func c2spPath(t tlog.Tile) string {
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(t.Path(), "tile/8/data/")
	}
	return "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
}

// tileReader is an x/mod/sumdb/tlog TileReader over a tlog-tiles source.
type tileReader struct{ src *source }

func (r tileReader) Height() int { return height }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.src.get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(data []byte, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, errors.New("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return checkpoint{}, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	hash, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: bad root: %w", err)
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: hash}}, nil
}

func tiles(args []string) error {
	fs := flag.NewFlagSet("tiles", flag.ExitOnError)
	src := fs.String("src", "", "tlog-tiles prefix URL or directory")
	vkey := fs.String("vkey", "", "the log's verifier key")
	old := fs.String("old", "", "an earlier checkpoint file: prove consistency with it")
	at := fs.String("checkpoint", "", "read the tree of this checkpoint file instead of <src>/checkpoint")
	all := fs.Bool("all", false, "fetch every tile tlog.NewTiles lists and compare it with the authenticated hashes")
	fs.Parse(args)
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("vkey: %w", err)
	}
	s := &source{prefix: *src, client: &http.Client{Timeout: 20 * time.Second}}
	var raw []byte
	if *at != "" {
		raw, err = os.ReadFile(*at)
	} else {
		raw, err = s.get("checkpoint")
	}
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(raw, verifier)
	if err != nil {
		return err
	}
	hr := tlog.TileHashReader(cp.tree, tileReader{s})
	root, err := tlog.TreeHash(cp.tree.N, hr)
	if err != nil {
		return fmt.Errorf("rebuilding the root from the tiles: %w", err)
	}
	if root != cp.tree.Hash {
		return fmt.Errorf("tiles rebuild root %v, the checkpoint says %v", root, cp.tree.Hash)
	}
	entries, err := checkEntries(s, hr, cp.tree.N)
	if err != nil {
		return err
	}
	result := map[string]any{"origin": cp.origin, "size": cp.tree.N, "root": root.String(), "entries": entries}
	if *all {
		checked, err := checkAllTiles(s, hr, cp.tree.N)
		if err != nil {
			return err
		}
		result["tiles"] = checked
	}
	if *old != "" {
		oldRaw, err := os.ReadFile(*old)
		if err != nil {
			return err
		}
		before, err := openCheckpoint(oldRaw, verifier)
		if err != nil {
			return fmt.Errorf("old %w", err)
		}
		proof, err := tlog.ProveTree(cp.tree.N, before.tree.N, hr)
		if err != nil {
			return fmt.Errorf("consistency proof from the tiles: %w", err)
		}
		if err := tlog.CheckTree(proof, cp.tree.N, cp.tree.Hash, before.tree.N, before.tree.Hash); err != nil {
			return fmt.Errorf("size %d is not consistent with size %d: %w", cp.tree.N, before.tree.N, err)
		}
		result["consistent_with"] = before.tree.N
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

// checkEntries reads every entry bundle and checks each entry's record hash against the
// authenticated level-0 hashes.
func checkEntries(s *source, hr tlog.HashReader, n int64) (int64, error) {
	var count int64
	for start := int64(0); start < n; start += 1 << height {
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(min(n-start, 1<<height))}
		data, err := s.get(c2spPath(t))
		if err != nil {
			return count, err
		}
		for i := 0; i < t.W; i++ {
			if len(data) < 2 {
				return count, fmt.Errorf("%s: truncated at entry %d", c2spPath(t), i)
			}
			size := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+size {
				return count, fmt.Errorf("%s: truncated entry %d", c2spPath(t), i)
			}
			entry := data[2 : 2+size]
			data = data[2+size:]
			index := start + int64(i)
			hashes, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil {
				return count, err
			}
			if tlog.RecordHash(entry) != hashes[0] {
				return count, fmt.Errorf("entry %d does not hash to its leaf", index)
			}
			count++
		}
		if len(data) != 0 {
			return count, fmt.Errorf("%s: %d bytes after the last entry", c2spPath(t), len(data))
		}
	}
	return count, nil
}

// checkAllTiles fetches every hash tile x/mod says a tree of size n publishes and compares
// it byte for byte with the tile data rebuilt from authenticated hashes.
func checkAllTiles(s *source, hr tlog.HashReader, n int64) (int, error) {
	list := tlog.NewTiles(height, 0, n)
	for _, t := range list {
		want, err := tlog.ReadTileData(t, hr)
		if err != nil {
			return 0, err
		}
		got, err := s.get(c2spPath(t))
		if err != nil {
			return 0, err
		}
		if string(got) != string(want) {
			return 0, fmt.Errorf("%s differs from the tree's hashes", c2spPath(t))
		}
	}
	return len(list), nil
}

func policy(args []string) error {
	fs := flag.NewFlagSet("policy", flag.ExitOnError)
	policyFile := fs.String("policy", "", "witness policy file")
	checkpointFile := fs.String("checkpoint", "", "cosigned checkpoint note")
	proofFile := fs.String("proof", "", "c2sp.org/tlog-proof@v1 file with the ledger's extra data")
	fs.Parse(args)
	text, err := os.ReadFile(*policyFile)
	if err != nil {
		return err
	}
	p, err := torchwood.ParsePolicy(text)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	switch {
	case *checkpointFile != "":
		data, err := os.ReadFile(*checkpointFile)
		if err != nil {
			return err
		}
		c, n, err := torchwood.VerifyCheckpoint(data, p)
		if err != nil {
			return fmt.Errorf("checkpoint does not meet the policy: %w", err)
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"origin": c.Origin, "size": c.N, "signatures": len(n.Sigs)})
	case *proofFile != "":
		data, err := os.ReadFile(*proofFile)
		if err != nil {
			return err
		}
		extra, err := torchwood.ProofExtraData(data)
		if err != nil {
			return err
		}
		var carried struct {
			Leaf json.RawMessage `json:"leaf"`
		}
		if err := json.Unmarshal(extra, &carried); err != nil {
			return fmt.Errorf("extra data: %w", err)
		}
		if err := torchwood.VerifyProof(p, tlog.RecordHash(carried.Leaf), data); err != nil {
			return fmt.Errorf("proof does not verify under the policy: %w", err)
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"verified": true})
	}
	return errors.New("give -checkpoint or -proof")
}
