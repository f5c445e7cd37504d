// Package h5 is a minimal, allocation-bounded reader of the HDF5 subset NIR files use:
// superblock versions 0 and 1, version-1 object headers, symbol-table groups (v1 B-trees,
// symbol nodes, local heaps), compact, contiguous and chunked datasets (v1 chunk B-trees,
// deflate, shuffle and fletcher32 filters), fixed-point and IEEE float elements,
// fixed-length strings and variable-length strings (global heap).
//
// It reads from a byte slice and never trusts a size or address in the file: every read
// is bounds-checked against the file, every allocation is bounded by Limits or by the
// file size, and recursion and structure walks are depth- and count-limited. Anything
// outside the subset is an error, never a panic. (Written because the pure-Go library the
// project first used allocates whatever a corrupted size field asks for.)
// Format reference: HDF5 File Format Specification Version 3.0, sections cited inline.
package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrFormat marks a malformed or unsupported file; ErrLimit an exceeded bound.
var (
	ErrFormat = errors.New("malformed or unsupported HDF5")
	ErrLimit  = errors.New("HDF5 structure exceeds limit")
)

// Limits bound the work and memory of one file.
type Limits struct {
	MaxElems     int // elements of one dataset
	MaxDims      int // rank of one dataset
	MaxLinks     int // children of one group
	MaxStructs   int // headers, B-tree nodes, heaps parsed in total
	MaxChunkTree int // depth of a B-tree
}

var signature = []byte("\x89HDF\r\n\x1a\n")

// File is an open HDF5 image.
type File struct {
	b       []byte
	so, sl  int // size of offsets and lengths
	base    uint64
	rootObj uint64
	lim     Limits
	structs int
	objs    map[uint64]*Object
	gcols   map[uint64]map[uint32][]byte
}

func errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// Open parses the superblock (spec §II.A); only versions 0 and 1 are supported.
func Open(b []byte, lim Limits) (*File, error) {
	if len(b) < 8 || !bytes.Equal(b[:8], signature) {
		return nil, errf("no HDF5 signature at offset 0")
	}
	f := &File{b: b, lim: lim}
	r := f.at(8)
	ver := r.u8()
	if ver > 1 {
		return nil, errf("superblock version %d (only 0 and 1, what h5py writes by default, are supported)", ver)
	}
	r.skip(4) // free-space, root symtab, reserved, shared header versions
	f.so, f.sl = int(r.u8()), int(r.u8())
	if (f.so != 4 && f.so != 8) || (f.sl != 4 && f.sl != 8) {
		return nil, errf("size of offsets %d / lengths %d", f.so, f.sl)
	}
	r.skip(1 + 2 + 2 + 4) // reserved, leaf K, internal K, flags
	if ver == 1 {
		r.skip(4)
	}
	f.base = r.off()
	r.off()             // free-space info
	r.off()             // end of file
	r.off()             // driver info
	r.off()             // root entry: link name offset
	f.rootObj = r.off() // root object header
	if r.err != nil {
		return nil, r.err
	}
	if f.base != 0 {
		return nil, errf("base address %d (only 0 supported)", f.base)
	}
	return f, nil
}

// cursor is a bounds-checked little-endian reader; the first failure sticks.
type cursor struct {
	f   *File
	b   []byte
	p   int
	err error
}

// sub reads a message's bytes.
func sub(f *File, b []byte) *cursor { return &cursor{f: f, b: b} }

func (f *File) at(addr uint64) *cursor {
	c := &cursor{f: f, b: f.b}
	if addr >= uint64(len(f.b)) {
		c.err = errf("address %d beyond end of file (%d bytes)", addr, len(f.b))
		return c
	}
	c.p = int(addr)
	return c
}

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.p {
		c.err = errf("read of %d bytes at %d beyond the end of its structure", n, c.p)
		return nil
	}
	s := c.b[c.p : c.p+n]
	c.p += n
	return s
}

func (c *cursor) skip(n int) { c.take(n) }

func (c *cursor) u8() uint8 {
	s := c.take(1)
	if s == nil {
		return 0
	}
	return s[0]
}

func (c *cursor) u16() uint16 {
	s := c.take(2)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(s)
}

func (c *cursor) u32() uint32 {
	s := c.take(4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}

func (c *cursor) uN(n int) uint64 {
	s := c.take(n)
	if s == nil {
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v
}

func (c *cursor) off() uint64    { return c.uN(c.f.so) }
func (c *cursor) length() uint64 { return c.uN(c.f.sl) }

const undefAddr = math.MaxUint64

func (f *File) charge() error {
	f.structs++
	if f.structs > f.lim.MaxStructs {
		return fmt.Errorf("%w: more than %d HDF5 structures", ErrLimit, f.lim.MaxStructs)
	}
	return nil
}

// message is one object header message (spec §IV.A.1.a).
type message struct {
	typ  uint16
	data []byte
}

// header reads a version-1 object header and its continuation blocks.
func (f *File) header(addr uint64) ([]message, error) {
	if err := f.charge(); err != nil {
		return nil, err
	}
	r := f.at(addr)
	ver := r.u8()
	if r.err != nil {
		return nil, r.err
	}
	if ver == 'O' {
		return f.headerV2(addr)
	}
	if ver != 1 {
		return nil, errf("object header at %d: version %d (only 1 and 2 supported)", addr, ver)
	}
	r.skip(1)
	nmsg := int(r.u16())
	r.skip(4) // reference count
	size := uint64(r.u32())
	r.skip(4) // alignment padding to 16 bytes
	if r.err != nil {
		return nil, r.err
	}
	return f.messages(addr, uint64(r.p), size, 8, false, func(c *cursor) (uint16, int) {
		typ, sz := c.u16(), int(c.u16())
		c.skip(4) // flags, reserved
		return typ, sz
	}, func(n int) error {
		if n > nmsg+64 {
			return errf("object header at %d: more messages than its count %d", addr, nmsg)
		}
		return nil
	})
}

// headerV2 reads a version-2 object header ("OHDR", §IV.A.1.b) and its "OCHK" blocks.
// Checksums are not verified: every field is bounds-checked instead.
func (f *File) headerV2(addr uint64) ([]message, error) {
	r := f.at(addr)
	if string(r.take(4)) != "OHDR" {
		return nil, errf("no object header at %d", addr)
	}
	if v := r.u8(); v != 2 {
		return nil, errf("object header at %d: OHDR version %d", addr, v)
	}
	flags := r.u8()
	if flags&0x20 != 0 {
		r.skip(16) // times
	}
	if flags&0x10 != 0 {
		r.skip(4) // attribute storage thresholds
	}
	size := r.uN(1 << (flags & 3))
	if r.err != nil {
		return nil, r.err
	}
	hdr := 4
	if flags&0x04 != 0 {
		hdr = 6
	}
	return f.messages(addr, uint64(r.p), size, hdr, true, func(c *cursor) (uint16, int) {
		typ, sz := uint16(c.u8()), int(c.u16())
		c.skip(hdr - 3) // flags [, creation order]
		return typ, sz
	}, func(n int) error {
		if n > 4096 {
			return fmt.Errorf("%w: object header at %d has more than 4096 messages", ErrLimit, addr)
		}
		return nil
	})
}

// messages reads the messages of the object header at addr whose first block is
// [at, at+n), following continuation messages (§IV.A.2.q) into further blocks (at most
// 64). Each message starts with hdr header bytes that next decodes into its type and
// size; with ochk (version 2) continuation blocks start with "OCHK" and end with a
// checksum. check bounds the number of messages read so far.
func (f *File) messages(addr, at, n uint64, hdr int, ochk bool, next func(*cursor) (uint16, int), check func(int) error) ([]message, error) {
	type block struct{ at, n uint64 }
	blocks := []block{{at, n}}
	var msgs []message
	for nblocks := 0; len(blocks) > 0; nblocks++ {
		if nblocks > 64 {
			return nil, fmt.Errorf("%w: object header at %d has more than 64 continuation blocks", ErrLimit, addr)
		}
		bl := blocks[0]
		blocks = blocks[1:]
		if bl.at > uint64(len(f.b)) || bl.n > uint64(len(f.b))-bl.at {
			return nil, errf("object header at %d: block beyond end of file", addr)
		}
		c := f.at(bl.at)
		end := int(bl.at + bl.n)
		if ochk && nblocks > 0 {
			if string(c.take(4)) != "OCHK" {
				return nil, errf("object header at %d: continuation block without OCHK", addr)
			}
			end -= 4 // checksum
		}
		for c.err == nil && c.p+hdr <= end {
			typ, sz := next(c)
			if c.p+sz > end {
				return nil, errf("object header at %d: message of %d bytes overruns its block", addr, sz)
			}
			data := c.take(sz)
			if c.err != nil {
				return nil, c.err
			}
			if typ == 0x10 { // continuation
				cr := sub(f, data)
				a, n := cr.off(), cr.length()
				if cr.err != nil {
					return nil, cr.err
				}
				blocks = append(blocks, block{a, n})
				continue
			}
			msgs = append(msgs, message{typ: typ, data: data})
			if err := check(len(msgs)); err != nil {
				return nil, err
			}
		}
		if c.err != nil {
			return nil, c.err
		}
	}
	return msgs, nil
}
