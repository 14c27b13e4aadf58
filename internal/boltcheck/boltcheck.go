// Package boltcheck opens a bbolt file only once it has shown itself
// whole. bbolt trusts its pages blindly: a page past the end of a cut-short
// file faults (SIGBUS kills the process), a garbled one trips an assertion
// panic, an empty file is silently taken for a new one, and the first commit
// of a file whose free list is garbled overwrites live pages. Open checks
// the shape, the free list and every page first, turning faults and panics
// into a DamageError, and never writes to or removes a damaged file: what
// to do about it is the caller's to say (the terminal's store and the
// reference upstream say different things).
package boltcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged is what a DamageError wraps.
var ErrDamaged = errors.New("data file damaged")

// DamageError says what is wrong with a damaged file.
type DamageError struct {
	Path   string
	Detail string // "the file is empty", "… bytes where its pages reach …: cut short", …
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%s: data file damaged (%s)", e.Path, e.Detail)
}

func (e *DamageError) Unwrap() error { return ErrDamaged }

// Open opens (creating if needed) the bbolt file at path for writing with
// o, once an existing file has shown itself whole. A damaged file gives a
// *DamageError; a file another process holds, bbolt's ErrTimeout; a
// system error (permissions), its *fs.PathError or errno. Checking costs a
// read of the whole file: about 0.1 s for 50 MiB.
func Open(path string, mode os.FileMode, o bolt.Options) (*bolt.DB, error) {
	if err := checkShape(path, mode, o.Timeout); err != nil {
		return nil, err
	}
	b, err := openGuarded(path, mode, o)
	if err != nil {
		return nil, err
	}
	if err := checkPages(b); err != nil {
		_ = b.Close()
		return nil, &DamageError{Path: path, Detail: err.Error()}
	}
	return b, nil
}

// openErr sorts an error of bolt.Open: errors of the system (permissions,
// locking, mapping) are passed on; any other error of bbolt for an existing
// file (bad magic, version or checksum of both meta pages, a file shorter
// than two pages) is about its content.
func openErr(path string, err error) error {
	var pathErr *fs.PathError
	var errno syscall.Errno
	if errors.Is(err, bolt.ErrTimeout) || errors.As(err, &pathErr) || errors.As(err, &errno) {
		return err
	}
	return &DamageError{Path: path, Detail: err.Error()}
}

// checkShape makes sure an existing file holds all the pages its meta page
// claims, and a sound free list, before bbolt opens it for writing, which
// reads the free list wherever the meta page points. It opens the file
// read-only, where bbolt reads only the two meta pages (checksummed) and
// loads no free list.
func checkShape(path string, mode os.FileMode, timeout time.Duration) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new file: bbolt creates it
	}
	if err != nil {
		return err // names the path
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("open %s: not a regular file", path)
	}
	// bbolt writes a new file's first pages as soon as it creates it, so
	// an empty file is one a power cut or a failed copy left behind. bbolt
	// would take it for a new one and start afresh without a word.
	if fi.Size() == 0 {
		return &DamageError{Path: path, Detail: "the file is empty"}
	}
	b, err := bolt.Open(path, mode, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return openErr(path, err)
	}
	defer b.Close()
	tx, err := b.Begin(false)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()
	// tx.Size is the meta page's high-water mark (pgid × page size): every
	// page in use lies below it. Stat again under bbolt's lock: the size
	// seen before may predate another process's growth of the file.
	if fi, err = os.Stat(path); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if hwm := tx.Size(); fi.Size() < hwm {
		return &DamageError{Path: path, Detail: fmt.Sprintf("%d bytes where its pages reach %d: cut short", fi.Size(), hwm)}
	}
	pageSize := int64(b.Info().PageSize)
	if root := int64(tx.Cursor().Bucket().Root()); root < 2 || root*pageSize >= tx.Size() {
		return &DamageError{Path: path, Detail: fmt.Sprintf("root page %d out of range", root)}
	}
	if err := checkFreelist(path, uint64(pageSize), uint64(tx.Size()/pageSize), uint64(tx.ID())); err != nil {
		return &DamageError{Path: path, Detail: err.Error()}
	}
	// In file order first: the tree walk then finds its pages in the
	// cache, not as scattered reads (several times slower cold, after a
	// boot, on a flash card).
	if err := readAhead(path, tx.Size()); err != nil {
		return &DamageError{Path: path, Detail: err.Error()}
	}
	root := uint64(tx.Cursor().Bucket().Root())
	if err := walkTree(path, uint64(pageSize), uint64(tx.Size()/pageSize), root); err != nil {
		return &DamageError{Path: path, Detail: err.Error()}
	}
	return nil
}

// bbolt's file format (version 2), which bbolt does not export: a page
// starts with a 16-byte header (id 8, flags 2, count 2, overflow 4); a
// meta page's body holds magic 4, version 4, page size 4, flags 4, root
// bucket 16, free list page 8, high-water page 8, txid 8, then the
// FNV-64a of those 56 bytes. Integers are in the machine's byte order.
const (
	pageHeaderSize   = 16
	metaBodySize     = 64
	metaMagic        = 0xED0CDAED
	metaVersion      = 2
	freelistPageFlag = 0x10
	noFreelist       = ^uint64(0)
)

// checkFreelist checks, by plain reads, the free list page that bolt.Open
// for writing loads through the mapping with no check but of its type (a
// garbled one panics there, a count running past the file faults). It is
// found through the meta page bbolt chose: the valid one of txid txid.
// hwm is the number of pages in use.
func checkFreelist(path string, pageSize, hwm uint64, txid uint64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ne := binary.NativeEndian
	freelist, found := uint64(0), false
	for page := range uint64(2) {
		buf := make([]byte, pageHeaderSize+metaBodySize)
		if _, err := f.ReadAt(buf, int64(page*pageSize)); err != nil {
			continue
		}
		m := buf[pageHeaderSize:]
		sum := fnv.New64a()
		_, _ = sum.Write(m[:56])
		if ne.Uint32(m[0:]) == metaMagic && ne.Uint32(m[4:]) == metaVersion &&
			ne.Uint64(m[56:]) == sum.Sum64() && ne.Uint64(m[48:]) == txid {
			freelist, found = ne.Uint64(m[32:]), true
			break
		}
	}
	switch {
	case !found:
		return fmt.Errorf("no meta page of transaction %d", txid)
	case freelist == noFreelist:
		return nil // not kept in the file (bbolt's NoFreelistSync): rebuilt from the tree
	case freelist < 2 || freelist >= hwm:
		return fmt.Errorf("free list page %d out of range", freelist)
	}
	off := int64(freelist * pageSize)
	hdr := make([]byte, pageHeaderSize+8)
	if _, err := f.ReadAt(hdr, off); err != nil {
		return fmt.Errorf("free list page %d: %w", freelist, err)
	}
	if flags := ne.Uint16(hdr[8:]); flags != freelistPageFlag {
		return fmt.Errorf("free list page %d is not one (flags %#x)", freelist, flags)
	}
	// A count of 0xFFFF means the real count is the first element.
	n, first := uint64(ne.Uint16(hdr[10:])), uint64(0)
	if n == 0xFFFF {
		n, first = ne.Uint64(hdr[pageHeaderSize:]), 1
	}
	span := uint64(ne.Uint32(hdr[12:])) + 1
	room := (span*pageSize - pageHeaderSize) / 8
	if freelist+span > hwm || n > room || first+n > room {
		return fmt.Errorf("free list page %d: %d entries overrun its %d pages", freelist, n, span)
	}
	ids := make([]byte, n*8)
	if _, err := f.ReadAt(ids, off+pageHeaderSize+int64(first*8)); err != nil {
		return fmt.Errorf("free list page %d: %w", freelist, err)
	}
	for i := 0; i < len(ids); i += 8 {
		if id := ne.Uint64(ids[i:]); id < 2 || id >= hwm {
			return fmt.Errorf("free list page %d names page %d, out of range", freelist, id)
		}
	}
	return nil
}

// openGuarded is bolt.Open for writing, under guard, should the free list
// page still hold a surprise after checkFreelist. bbolt gives no handle
// back when it panics: the file it opened is caught through OpenFile and
// closed here, but its mapping stays until the process exits and keeps
// bbolt's lock held with it (hence checkFreelist, so that this stays a
// last resort).
func openGuarded(path string, mode os.FileMode, o bolt.Options) (*bolt.DB, error) {
	var f *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	var b *bolt.DB
	err := guard(func() error {
		var err error
		b, err = bolt.Open(path, mode, &o)
		return err
	})
	var pe panicError
	if errors.As(err, &pe) {
		if f != nil {
			_ = f.Close()
		}
		return nil, &DamageError{Path: path, Detail: pe.Error()}
	}
	if err != nil {
		return nil, openErr(path, err)
	}
	return b, nil
}

// checkPages runs bbolt's consistency check (free list against the pages
// reachable, key order). It runs in a goroutine of bbolt's own, where a
// fault cannot be turned into a panic; it cannot fault here, since
// checkShape has read every page it visits by plain reads and found the
// tree whole (walkTree). guard is for what bbolt asserts.
func checkPages(b *bolt.DB) error {
	return guard(func() error {
		return b.View(func(tx *bolt.Tx) error {
			var errs []error
			for err := range tx.Check() {
				errs = append(errs, err)
			}
			switch len(errs) {
			case 0:
				return nil
			case 1:
				return fmt.Errorf("consistency check: %w", errs[0])
			default:
				return fmt.Errorf("consistency check: %w (and %d more)", errs[0], len(errs)-1)
			}
		})
	})
}

// readAhead reads the first n bytes of the file in order, into the page
// cache: the walk that follows visits the pages in key order, scattered
// over the file, which on a cold cache (after a boot) would be as many
// random reads, several times slower on a flash card. A read error here is
// the device failing, told plainly rather than as a fault.
func readAhead(path string, n int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for off := int64(0); off < n; off += int64(len(buf)) {
		if _, err := f.ReadAt(buf[:min(int64(len(buf)), n-off)], off); err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
	return nil
}

// panicError is a panic (a bbolt assertion, or a memory fault turned into
// a panic) recovered by guard.
type panicError struct{ v any }

func (e panicError) Error() string {
	// A fault has an address (runtime.Error's Addr), of no use to a reader.
	if _, fault := e.v.(interface{ Addr() uintptr }); fault {
		return "a page could not be read: it lies past the end of the file or the device failed"
	}
	return fmt.Sprint(e.v)
}

// guard runs fn in a goroutine of its own that turns memory faults into
// panics (debug.SetPanicOnFault holds for one goroutine only) and recovers
// them, and bbolt's assertion panics, as a panicError: bbolt reads its
// pages through a memory mapping without bounds checks, and a damaged page
// must give an error, not kill the process.
func guard(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if r := recover(); r != nil {
				done <- panicError{r}
			}
		}()
		done <- fn()
	}()
	return <-done
}
