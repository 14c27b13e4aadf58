package boltcheck

import (
	"encoding/binary"
	"fmt"
	"os"
)

// More of bbolt's file format (version 2): a branch page holds count
// elements of 16 bytes (pos 4, key size 4, child page 8), a leaf page count
// elements of 16 bytes (flags 4, pos 4, key size 4, value size 4); pos
// counts from the element itself. A leaf element with the bucket flag holds
// a nested bucket: its value starts with the bucket's root page (8) and
// sequence (8); a root of 0 means the bucket is inline, its one leaf page
// following in the value.
const (
	branchPageFlag = 0x01
	leafPageFlag   = 0x02
	elementSize    = 16
	bucketLeafFlag = 0x01
	bucketHdrSize  = 16
)

// walkTree reads, by plain reads of the file, every page of the tree from
// root: each must lie below the high-water mark hwm (in pages), be a branch
// or a leaf, hold its elements within its own bytes, and be reached once
// only. bbolt's cursors trust all of this: a page reached twice is a cycle
// they descend forever, an element pointing past its page a read out of
// the mapping. Checked first, the tree can then be walked through bbolt.
func walkTree(path string, pageSize, hwm, root uint64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &walker{f: f, ps: pageSize, hwm: hwm, seen: make(map[uint64]bool)}
	return w.page(root)
}

type walker struct {
	f    *os.File
	ps   uint64
	hwm  uint64
	seen map[uint64]bool
}

func (w *walker) page(id uint64) error {
	if id < 2 || id >= w.hwm {
		return fmt.Errorf("page %d out of range", id)
	}
	if w.seen[id] {
		return fmt.Errorf("page %d reached twice", id)
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.f.ReadAt(hdr, int64(id*w.ps)); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	ne := binary.NativeEndian
	span := uint64(ne.Uint32(hdr[12:])) + 1
	if span > w.hwm || id+span > w.hwm {
		return fmt.Errorf("page %d: %d overflow pages run past the end", id, span-1)
	}
	for p := id; p < id+span; p++ {
		if w.seen[p] {
			return fmt.Errorf("page %d reached twice", p)
		}
		w.seen[p] = true
	}
	buf := make([]byte, span*w.ps)
	if _, err := w.f.ReadAt(buf, int64(id*w.ps)); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	return w.node(id, buf)
}

// node checks the page in buf (its header included) and walks what it
// points to.
func (w *walker) node(id uint64, buf []byte) error {
	ne := binary.NativeEndian
	flags, count := ne.Uint16(buf[8:]), int(ne.Uint16(buf[10:]))
	if pageHeaderSize+count*elementSize > len(buf) {
		return fmt.Errorf("page %d: %d elements overrun it", id, count)
	}
	switch flags {
	case branchPageFlag:
		for i := range count {
			e := buf[pageHeaderSize+i*elementSize:]
			pos, ksize := int(ne.Uint32(e[0:])), int(ne.Uint32(e[4:]))
			if off := pageHeaderSize + i*elementSize; pos < 0 || off+pos+ksize > len(buf) || off+pos+ksize < off {
				return fmt.Errorf("page %d: key %d out of the page", id, i)
			}
			if err := w.page(ne.Uint64(e[8:])); err != nil {
				return err
			}
		}
	case leafPageFlag:
		for i := range count {
			off := pageHeaderSize + i*elementSize
			e := buf[off:]
			eflags, pos := ne.Uint32(e[0:]), int(ne.Uint32(e[4:]))
			ksize, vsize := int(ne.Uint32(e[8:])), int(ne.Uint32(e[12:]))
			start, end := off+pos, off+pos+ksize+vsize
			if pos < 0 || ksize < 0 || vsize < 0 || end > len(buf) || end < start {
				return fmt.Errorf("page %d: element %d out of the page", id, i)
			}
			if eflags&bucketLeafFlag == 0 {
				continue
			}
			v := buf[start+ksize : end]
			if len(v) < bucketHdrSize {
				return fmt.Errorf("page %d: bucket %d without its header", id, i)
			}
			if r := ne.Uint64(v); r != 0 {
				if err := w.page(r); err != nil {
					return err
				}
				continue
			}
			// An inline bucket: one leaf page inside the value. It may
			// hold no bucket of its own (bbolt inlines only those
			// without), so the walk ends there.
			inline := v[bucketHdrSize:]
			if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != leafPageFlag {
				return fmt.Errorf("page %d: inline bucket %d is no leaf", id, i)
			}
			if err := w.inlineLeaf(id, inline); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("page %d is neither branch nor leaf (flags %#x)", id, flags)
	}
	return nil
}

// inlineLeaf checks an inline bucket's leaf page: elements within it, and
// no nested bucket.
func (w *walker) inlineLeaf(id uint64, buf []byte) error {
	ne := binary.NativeEndian
	count := int(ne.Uint16(buf[10:]))
	if pageHeaderSize+count*elementSize > len(buf) {
		return fmt.Errorf("page %d: an inline bucket's %d elements overrun it", id, count)
	}
	for i := range count {
		off := pageHeaderSize + i*elementSize
		e := buf[off:]
		eflags, pos := ne.Uint32(e[0:]), int(ne.Uint32(e[4:]))
		ksize, vsize := int(ne.Uint32(e[8:])), int(ne.Uint32(e[12:]))
		if end := off + pos + ksize + vsize; pos < 0 || ksize < 0 || vsize < 0 || end > len(buf) || end < off {
			return fmt.Errorf("page %d: an inline bucket's element %d out of it", id, i)
		}
		if eflags&bucketLeafFlag != 0 {
			return fmt.Errorf("page %d: a bucket inside an inline bucket", id)
		}
	}
	return nil
}
