package h5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
)

// Class is a dataset element class as NIR uses it.
type Class int

// Element classes (spec §IV.A.2.d).
const (
	Int Class = iota
	Float
	String     // fixed-length string
	VLenString // variable-length string
	Other
)

// Link is a named child of a group.
type Link struct {
	Name string
	Addr uint64
}

// Object is a group or a dataset.
type Object struct {
	f     *File
	Addr  uint64
	Group bool
	links []Link
	// dataset
	Class    Class
	Size     int   // element size in bytes
	Dims     []int // nil for a scalar dataspace
	Scalar   bool
	signed   bool
	bigEnd   bool
	layout   int // 0 compact, 1 contiguous, 2 chunked
	compact  []byte
	dataAddr uint64
	dataSize uint64
	chunk    []int // chunk dims (rank), element size dropped
	filters  []uint16
}

// Root opens the root group.
func (f *File) Root() (*Object, error) { return f.Object(f.rootObj) }

// Object parses the object header at addr (once; later calls return the same object).
func (f *File) Object(addr uint64) (*Object, error) {
	if o, ok := f.objs[addr]; ok {
		return o, nil
	}
	if f.objs == nil {
		f.objs = map[uint64]*Object{}
	}
	o, err := f.object(addr)
	if err != nil {
		return nil, err
	}
	f.objs[addr] = o
	return o, nil
}

func (f *File) object(addr uint64) (*Object, error) {
	msgs, err := f.header(addr)
	if err != nil {
		return nil, err
	}
	o := &Object{f: f, Addr: addr}
	var haveSpace, haveType, haveLayout bool
	for _, m := range msgs {
		c := sub(f, m.data)
		switch m.typ {
		case 0x11: // symbol table (§IV.A.2.r)
			bt, heap := c.off(), c.off()
			if c.err != nil {
				return nil, c.err
			}
			o.Group = true
			if o.links, err = f.groupLinks(bt, heap); err != nil {
				return nil, fmt.Errorf("group at %d: %w", addr, err)
			}
		case 0x02: // link info (§IV.A.2.c): compact links live in this header
			ver, fl := c.u8(), c.u8()
			if fl&1 != 0 {
				c.skip(8)
			}
			heap := c.off()
			if c.err != nil || ver != 0 {
				return nil, errf("object at %d: link info message", addr)
			}
			if heap != undefAddr {
				return nil, errf("object at %d: dense link storage (fractal heap) is not supported", addr)
			}
			o.Group = true
		case 0x06: // link (§IV.A.2.g)
			l, err := f.linkMessage(c)
			if err != nil {
				return nil, fmt.Errorf("group at %d: %w", addr, err)
			}
			o.Group = true
			o.links = append(o.links, l)
			if len(o.links) > f.lim.MaxLinks {
				return nil, fmt.Errorf("%w: group with more than %d links", ErrLimit, f.lim.MaxLinks)
			}
		case 0x01:
			if err := o.dataspace(c); err != nil {
				return nil, fmt.Errorf("dataset at %d: %w", addr, err)
			}
			haveSpace = true
		case 0x03:
			if err := o.datatype(c); err != nil {
				return nil, fmt.Errorf("dataset at %d: %w", addr, err)
			}
			haveType = true
		case 0x08:
			if err := o.dataLayout(c); err != nil {
				return nil, fmt.Errorf("dataset at %d: %w", addr, err)
			}
			haveLayout = true
		case 0x0B:
			if err := o.filterPipeline(c); err != nil {
				return nil, fmt.Errorf("dataset at %d: %w", addr, err)
			}
		}
	}
	if o.Group {
		sort.Slice(o.links, func(i, j int) bool { return o.links[i].Name < o.links[j].Name })
		for i := 1; i < len(o.links); i++ {
			if o.links[i].Name == o.links[i-1].Name {
				return nil, errf("group at %d has two links named %q", addr, o.links[i].Name)
			}
		}
	}
	if !o.Group && !(haveSpace && haveType && haveLayout) {
		return nil, errf("object at %d is neither a group nor a dataset", addr)
	}
	return o, nil
}

// linkMessage decodes a hard link; soft and external links are refused.
func (f *File) linkMessage(c *cursor) (Link, error) {
	ver, fl := c.u8(), c.u8()
	if ver != 1 {
		return Link{}, errf("link message version %d", ver)
	}
	typ := uint8(0)
	if fl&0x08 != 0 {
		typ = c.u8()
	}
	if fl&0x04 != 0 {
		c.skip(8)
	}
	if fl&0x10 != 0 {
		c.skip(1)
	}
	n := c.uN(1 << (fl & 3))
	if n > 1<<16 {
		return Link{}, errf("link name of %d bytes", n)
	}
	name := string(c.take(int(n)))
	if typ != 0 {
		return Link{}, errf("link %q is soft or external (type %d)", name, typ)
	}
	addr := c.off()
	if c.err != nil {
		return Link{}, c.err
	}
	return Link{Name: name, Addr: addr}, nil
}

// Links returns a group's children sorted by name.
func (o *Object) Links() []Link { return o.links }

// groupLinks walks a group's v1 B-tree (§III.A.1) to its symbol nodes (§III.C) and names
// each entry from the local heap (§III.D).
func (f *File) groupLinks(btree, heapAddr uint64) ([]Link, error) {
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var links []Link
	seen := map[uint64]bool{}
	var walk func(addr uint64, depth int) error
	walk = func(addr uint64, depth int) error {
		if depth > f.lim.MaxChunkTree {
			return fmt.Errorf("%w: group B-tree deeper than %d", ErrLimit, f.lim.MaxChunkTree)
		}
		if seen[addr] {
			return errf("group B-tree node %d visited twice", addr)
		}
		seen[addr] = true
		if err := f.charge(); err != nil {
			return err
		}
		r := f.at(addr)
		if string(r.take(4)) != "TREE" {
			return errf("no B-tree node at %d", addr)
		}
		typ, level := r.u8(), r.u8()
		n := int(r.u16())
		r.off()
		r.off()
		if r.err != nil {
			return r.err
		}
		if typ != 0 {
			return errf("group B-tree node at %d has type %d", addr, typ)
		}
		var kids []uint64
		for i := 0; i < n; i++ {
			r.length() // key: heap offset
			kids = append(kids, r.off())
			if r.err != nil {
				return r.err
			}
		}
		for _, k := range kids {
			if level > 0 {
				if err := walk(k, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := f.symbolNode(k, heap, &links); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(btree, 0); err != nil {
		return nil, err
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	for i := 1; i < len(links); i++ {
		if links[i].Name == links[i-1].Name {
			return nil, errf("group has two links named %q", links[i].Name)
		}
	}
	return links, nil
}

func (f *File) symbolNode(addr uint64, heap []byte, links *[]Link) error {
	if err := f.charge(); err != nil {
		return err
	}
	r := f.at(addr)
	if string(r.take(4)) != "SNOD" {
		return errf("no symbol table node at %d", addr)
	}
	r.skip(2)
	n := int(r.u16())
	for i := 0; i < n && r.err == nil; i++ {
		nameOff := r.off()
		obj := r.off()
		r.skip(4 + 4 + 16) // cache type, reserved, scratch pad
		if r.err != nil {
			break
		}
		if nameOff >= uint64(len(heap)) {
			return errf("symbol name offset %d beyond local heap (%d bytes)", nameOff, len(heap))
		}
		end := bytes.IndexByte(heap[nameOff:], 0)
		if end < 0 {
			return errf("unterminated symbol name in local heap")
		}
		*links = append(*links, Link{Name: string(heap[nameOff : nameOff+uint64(end)]), Addr: obj})
		if len(*links) > f.lim.MaxLinks {
			return fmt.Errorf("%w: group with more than %d links", ErrLimit, f.lim.MaxLinks)
		}
	}
	return r.err
}

// localHeap returns the data segment of a local heap (§III.D); it lies inside the file.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	r := f.at(addr)
	if string(r.take(4)) != "HEAP" {
		return nil, errf("no local heap at %d", addr)
	}
	r.skip(4)
	size := r.length()
	r.length()
	data := r.off()
	if r.err != nil {
		return nil, r.err
	}
	if data >= uint64(len(f.b)) || size > uint64(len(f.b))-data {
		return nil, errf("local heap data segment (%d bytes at %d) beyond end of file", size, data)
	}
	return f.b[data : data+size], nil
}

// dataspace parses §IV.A.2.b (versions 1 and 2).
func (o *Object) dataspace(c *cursor) error {
	ver, rank, flags := c.u8(), int(c.u8()), c.u8()
	switch ver {
	case 1:
		c.skip(5)
		if rank == 0 {
			o.Scalar = true
		}
	case 2:
		t := c.u8()
		switch t {
		case 0:
			o.Scalar = true
		case 2:
			o.Dims = []int{0}
			return c.err
		}
	default:
		return errf("dataspace version %d", ver)
	}
	if rank > o.f.lim.MaxDims {
		return fmt.Errorf("%w: rank %d > %d", ErrLimit, rank, o.f.lim.MaxDims)
	}
	total := 1
	for i := 0; i < rank; i++ {
		d := c.length()
		if d > uint64(o.f.lim.MaxElems) {
			return fmt.Errorf("%w: dimension %d > %d elements", ErrLimit, d, o.f.lim.MaxElems)
		}
		o.Dims = append(o.Dims, int(d))
		if d != 0 && total > o.f.lim.MaxElems/int(d) {
			return fmt.Errorf("%w: dataset of shape %v > %d elements", ErrLimit, o.Dims, o.f.lim.MaxElems)
		}
		total *= int(d)
	}
	_ = flags
	return c.err
}

// datatype parses §IV.A.2.d for the classes NIR uses.
func (o *Object) datatype(c *cursor) error {
	cv := c.u8()
	bits := c.take(3)
	size := c.u32()
	if c.err != nil {
		return c.err
	}
	class := cv & 0x0f
	if size == 0 || size > 1<<16 {
		return errf("datatype size %d", size)
	}
	o.Size = int(size)
	switch class {
	case 0: // fixed point
		o.Class = Int
		o.bigEnd = bits[0]&1 != 0
		o.signed = bits[0]&8 != 0
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return errf("integer of %d bytes", size)
		}
	case 1: // floating point
		o.Class = Float
		o.bigEnd = bits[0]&1 != 0
		if bits[0]&0x40 != 0 {
			return errf("VAX float order")
		}
		if size != 4 && size != 8 {
			return errf("float of %d bytes", size)
		}
	case 3:
		o.Class = String
	case 9: // variable length: bits 0-3 of the first byte: 0 sequence, 1 string
		if bits[0]&0x0f != 1 {
			o.Class = Other
			return nil
		}
		o.Class = VLenString
	default:
		o.Class = Other
	}
	return nil
}

// dataLayout parses §IV.A.2.i versions 1-3.
func (o *Object) dataLayout(c *cursor) error {
	ver := c.u8()
	switch ver {
	case 1, 2:
		nd := int(c.u8())
		class := int(c.u8())
		c.skip(5)
		if class != 0 {
			o.dataAddr = c.off()
		}
		if nd < 1 || nd > o.f.lim.MaxDims+1 {
			return errf("layout dimensionality %d", nd)
		}
		dims := make([]int, nd)
		for i := range dims {
			dims[i] = int(c.u32())
		}
		o.layout = class
		switch class {
		case 0:
			n := c.u32()
			o.compact = c.take(int(n))
		case 1:
			o.dataSize = math.MaxUint64 // not stored; computed from the dataspace
		case 2:
			c.u32() // element size
			o.chunk = dims
		}
	case 3:
		o.layout = int(c.u8())
		switch o.layout {
		case 0:
			n := c.u16()
			o.compact = c.take(int(n))
		case 1:
			o.dataAddr, o.dataSize = c.off(), c.length()
		case 2:
			nd := int(c.u8())
			if nd < 2 || nd > o.f.lim.MaxDims+1 {
				return errf("chunk dimensionality %d", nd)
			}
			o.dataAddr = c.off()
			o.chunk = make([]int, nd-1)
			for i := range o.chunk {
				o.chunk[i] = int(c.u32())
			}
			c.u32() // element size
		default:
			return errf("layout class %d", o.layout)
		}
	default:
		return errf("data layout version %d (only 1-3 supported)", ver)
	}
	for _, d := range o.chunk {
		if d <= 0 {
			return errf("chunk dimension %d", d)
		}
	}
	return c.err
}

// filterPipeline parses §IV.A.2.l (versions 1 and 2).
func (o *Object) filterPipeline(c *cursor) error {
	ver, n := c.u8(), int(c.u8())
	if ver == 1 {
		c.skip(6)
	} else if ver != 2 {
		return errf("filter pipeline version %d", ver)
	}
	for i := 0; i < n && c.err == nil; i++ {
		id := c.u16()
		nameLen := 0
		if ver == 1 || id >= 256 {
			nameLen = int(c.u16())
		}
		c.u16() // flags
		nv := int(c.u16())
		if ver == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		c.skip(nameLen)
		c.skip(4 * nv)
		if ver == 1 && nv%2 == 1 {
			c.skip(4)
		}
		switch id {
		case 1, 2, 3:
		default:
			return errf("filter %d (only deflate, shuffle and fletcher32 are supported)", id)
		}
		o.filters = append(o.filters, id)
	}
	return c.err
}

// Elems is the number of elements.
func (o *Object) Elems() int {
	n := 1
	for _, d := range o.Dims {
		n *= d
	}
	return n
}

// raw returns the dataset's bytes (Elems()*Size of them).
func (o *Object) raw() ([]byte, error) {
	want := o.Elems() * o.Size
	if want/o.Size != o.Elems() || want > o.f.lim.MaxElems*8 {
		return nil, fmt.Errorf("%w: dataset of %d bytes", ErrLimit, want)
	}
	switch o.layout {
	case 0:
		if len(o.compact) < want {
			return nil, errf("compact data of %d bytes, want %d", len(o.compact), want)
		}
		return o.compact[:want], nil
	case 1:
		if want == 0 {
			return nil, nil
		}
		if o.dataAddr == undefAddr || o.dataAddr >= uint64(len(o.f.b)) || uint64(want) > uint64(len(o.f.b))-o.dataAddr {
			return nil, errf("contiguous data (%d bytes at %d) beyond end of file", want, o.dataAddr)
		}
		if o.dataSize != math.MaxUint64 && o.dataSize < uint64(want) {
			return nil, errf("contiguous data of %d bytes, want %d", o.dataSize, want)
		}
		return o.f.b[o.dataAddr : o.dataAddr+uint64(want)], nil
	case 2:
		return o.chunked(want)
	}
	return nil, errf("layout class %d", o.layout)
}

// chunked assembles a chunked dataset from its v1 chunk B-tree (§III.A.1, node type 1).
func (o *Object) chunked(want int) ([]byte, error) {
	rank := len(o.Dims)
	if len(o.chunk) != rank {
		return nil, errf("chunk rank %d for dataset rank %d", len(o.chunk), rank)
	}
	out := make([]byte, want)
	if want == 0 || o.dataAddr == undefAddr {
		return out, nil // never written: fill value 0
	}
	chunkElems := 1
	for _, d := range o.chunk {
		if chunkElems > o.f.lim.MaxElems/d {
			return nil, fmt.Errorf("%w: chunk %v", ErrLimit, o.chunk)
		}
		chunkElems *= d
	}
	chunkBytes := chunkElems * o.Size
	// A valid file has exactly one chunk per grid cell; more is corrupt (and bounds work).
	maxChunks := 1
	for k, d := range o.Dims {
		maxChunks *= (d + o.chunk[k] - 1) / o.chunk[k]
	}
	nchunks := 0
	f := o.f
	seen := map[uint64]bool{}
	var walk func(addr uint64, depth int) error
	walk = func(addr uint64, depth int) error {
		if depth > f.lim.MaxChunkTree || seen[addr] {
			return errf("chunk B-tree too deep or cyclic at %d", addr)
		}
		seen[addr] = true
		if err := f.charge(); err != nil {
			return err
		}
		r := f.at(addr)
		if string(r.take(4)) != "TREE" {
			return errf("no chunk B-tree node at %d", addr)
		}
		typ, level := r.u8(), r.u8()
		n := int(r.u16())
		r.off()
		r.off()
		if typ != 1 {
			return errf("chunk B-tree node at %d has type %d", addr, typ)
		}
		for i := 0; i < n && r.err == nil; i++ {
			size := int(r.u32())
			mask := r.u32()
			offs := make([]int, rank)
			for k := 0; k <= rank; k++ {
				v := r.uN(8)
				if k < rank {
					if v > uint64(o.Dims[k]) {
						return errf("chunk offset %d beyond dimension %d", v, o.Dims[k])
					}
					offs[k] = int(v)
				}
			}
			child := r.off()
			if r.err != nil {
				return r.err
			}
			if level > 0 {
				if err := walk(child, depth+1); err != nil {
					return err
				}
				continue
			}
			nchunks++
			if nchunks > maxChunks {
				return errf("more than the %d chunks the dataset's shape needs", maxChunks)
			}
			if child >= uint64(len(f.b)) || uint64(size) > uint64(len(f.b))-child {
				return errf("chunk (%d bytes at %d) beyond end of file", size, child)
			}
			data, err := o.unfilter(f.b[child:child+uint64(size)], mask, chunkBytes)
			if err != nil {
				return err
			}
			o.place(out, data, offs)
		}
		return r.err
	}
	if err := walk(o.dataAddr, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// unfilter reverses the filter pipeline; the output is bounded by chunkBytes.
func (o *Object) unfilter(b []byte, mask uint32, chunkBytes int) ([]byte, error) {
	for i := len(o.filters) - 1; i >= 0; i-- {
		if mask&(1<<uint(i)) != 0 {
			continue
		}
		switch o.filters[i] {
		case 1: // deflate (zlib stream)
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, errf("deflate: %v", err)
			}
			out, err := io.ReadAll(io.LimitReader(zr, int64(chunkBytes)+1))
			if err != nil {
				return nil, errf("deflate: %v", err)
			}
			if len(out) > chunkBytes {
				return nil, errf("deflated chunk larger than %d bytes", chunkBytes)
			}
			b = out
		case 2: // shuffle: bytes grouped by significance
			if o.Size > 1 && len(b)%o.Size == 0 {
				n := len(b) / o.Size
				out := make([]byte, len(b))
				for e := 0; e < n; e++ {
					for k := 0; k < o.Size; k++ {
						out[e*o.Size+k] = b[k*n+e]
					}
				}
				b = out
			}
		case 3: // fletcher32: a 4-byte checksum at the end
			if len(b) < 4 {
				return nil, errf("fletcher32 chunk of %d bytes", len(b))
			}
			b = b[:len(b)-4]
		}
	}
	if len(b) < chunkBytes {
		return nil, errf("chunk of %d bytes, want %d", len(b), chunkBytes)
	}
	return b[:chunkBytes], nil
}

// place copies a chunk at offs into the C-order output, clipping at the dataset edges.
func (o *Object) place(out, chunk []byte, offs []int) {
	rank := len(o.Dims)
	idx := make([]int, rank)
	sz := o.Size
	for {
		// element idx within the chunk
		src, dst, ok := 0, 0, true
		for k := 0; k < rank; k++ {
			g := offs[k] + idx[k]
			if g >= o.Dims[k] {
				ok = false
			}
			src = src*o.chunk[k] + idx[k]
			dst = dst*o.Dims[k] + g
		}
		if ok {
			copy(out[dst*sz:dst*sz+sz], chunk[src*sz:src*sz+sz])
		}
		k := rank - 1
		for k >= 0 {
			idx[k]++
			if idx[k] < o.chunk[k] {
				break
			}
			idx[k] = 0
			k--
		}
		if k < 0 {
			return
		}
	}
}

// Numbers returns a numeric dataset as float64 values in C order.
func (o *Object) Numbers() ([]float64, error) {
	if o.Class != Int && o.Class != Float {
		return nil, errf("dataset is not numeric")
	}
	b, err := o.raw()
	if err != nil {
		return nil, err
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if o.bigEnd {
		bo = binary.BigEndian
	}
	n := o.Elems()
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		e := b[i*o.Size : (i+1)*o.Size]
		switch {
		case o.Class == Float && o.Size == 4:
			out[i] = float64(math.Float32frombits(bo.Uint32(e)))
		case o.Class == Float:
			out[i] = math.Float64frombits(bo.Uint64(e))
		case o.Size == 1 && o.signed:
			out[i] = float64(int8(e[0]))
		case o.Size == 1:
			out[i] = float64(e[0])
		case o.Size == 2 && o.signed:
			out[i] = float64(int16(bo.Uint16(e)))
		case o.Size == 2:
			out[i] = float64(bo.Uint16(e))
		case o.Size == 4 && o.signed:
			out[i] = float64(int32(bo.Uint32(e)))
		case o.Size == 4:
			out[i] = float64(bo.Uint32(e))
		case o.signed:
			out[i] = float64(int64(bo.Uint64(e)))
		default:
			out[i] = float64(bo.Uint64(e))
		}
	}
	return out, nil
}

// Strings returns a string dataset; maxLen bounds each string.
func (o *Object) Strings(maxLen int) ([]string, error) {
	b, err := o.raw()
	if err != nil {
		return nil, err
	}
	n := o.Elems()
	out := make([]string, 0, n)
	switch o.Class {
	case String:
		for i := 0; i < n; i++ {
			e := b[i*o.Size : (i+1)*o.Size]
			e = bytes.TrimRight(e, "\x00 ")
			if len(e) > maxLen {
				return nil, fmt.Errorf("%w: string of %d bytes", ErrLimit, len(e))
			}
			out = append(out, string(e))
		}
	case VLenString:
		// element: length (4), global heap collection address (O), object index (4) (§IV.A.2.d class 9)
		if o.Size != 4+o.f.so+4 {
			return nil, errf("variable-length element of %d bytes", o.Size)
		}
		for i := 0; i < n; i++ {
			c := sub(o.f, b[i*o.Size:(i+1)*o.Size])
			ln, addr, idx := int(c.u32()), c.off(), c.u32()
			if ln > maxLen {
				return nil, fmt.Errorf("%w: string of %d bytes", ErrLimit, ln)
			}
			s, err := o.f.globalObject(addr, idx)
			if err != nil {
				return nil, err
			}
			if ln > len(s) {
				return nil, errf("string of %d bytes in a heap object of %d", ln, len(s))
			}
			out = append(out, string(s[:ln]))
		}
	default:
		return nil, errf("dataset is not a string")
	}
	return out, nil
}

// globalObject finds object idx in the global heap collection at addr (§III.E); each
// collection is parsed once.
func (f *File) globalObject(addr uint64, idx uint32) ([]byte, error) {
	col, ok := f.gcols[addr]
	if !ok {
		var err error
		if col, err = f.parseCollection(addr); err != nil {
			return nil, err
		}
		if f.gcols == nil {
			f.gcols = map[uint64]map[uint32][]byte{}
		}
		f.gcols[addr] = col
	}
	data, ok := col[idx]
	if !ok {
		return nil, errf("global heap object %d not found in collection at %d", idx, addr)
	}
	return data, nil
}

func (f *File) parseCollection(addr uint64) (map[uint32][]byte, error) {
	if err := f.charge(); err != nil {
		return nil, err
	}
	r := f.at(addr)
	if string(r.take(4)) != "GCOL" {
		return nil, errf("no global heap collection at %d", addr)
	}
	r.skip(4)
	size := r.length()
	if r.err != nil {
		return nil, r.err
	}
	if size > uint64(len(f.b))-addr {
		return nil, errf("global heap collection of %d bytes at %d beyond end of file", size, addr)
	}
	end := int(addr + size)
	hdr := 2 + 2 + 4 + f.sl
	col := map[uint32][]byte{}
	for r.err == nil && r.p+hdr <= end {
		id := r.u16()
		r.skip(6)
		osz := r.length()
		if id == 0 {
			break // free space
		}
		if osz > uint64(end-r.p) {
			return nil, errf("global heap object of %d bytes overruns its collection", osz)
		}
		data := r.take(int(osz))
		r.skip((8 - int(osz)%8) % 8)
		col[uint32(id)] = data
	}
	if r.err != nil {
		return nil, r.err
	}
	return col, nil
}
