package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"yanma/verify"
)

// mountTmpfs mounts a tmpfs of the given size on a fresh directory and
// unmounts it in t.Cleanup; it skips where mounting is not allowed (not
// root, or no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fill leaves about keep bytes free on the file system of dir, with a
// filler file that the caller can delete to free the space again.
func fill(t *testing.T, dir string, keep int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	path := filepath.Join(dir, "filler")
	if free > keep {
		if err := os.WriteFile(path, make([]byte, free-keep), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestRecordDiskFull records until the disk is full. The failing Record
// says ErrDiskFull (and ENOSPC); the store keeps answering reads; once
// space is freed the file passes bbolt's check and holds exactly the
// entries and reports whose Record returned nil, and recording works again.
func TestRecordDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "4m")
	path := filepath.Join(dir, "terminal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	filler := fill(t, dir, 256<<10)

	t.Cleanup(func() { _ = db.Close() }) // before the umount

	// Record until the disk is full, then 20 more: a later Record may fit
	// in pages the failed one left allocated; what returns nil counts.
	var okEntries, okReports []string
	failures := 0
	for i := 0; i < 100000 && failures < 20; i++ {
		e := testEntry(testT0.Add(time.Duration(i) * time.Second))
		e.ID = fmt.Sprintf("e%06d", i)
		e.Name = strings.Repeat("名", 100) // fat entries fill the disk sooner
		var r *Report
		if i%3 == 0 {
			r = testReport(verify.ReportFever)
			r.ID = fmt.Sprintf("r%06d", i)
		}
		_, err := db.Record(e, r)
		if err != nil {
			if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Record on a full disk: %v, want ErrDiskFull and ENOSPC", err)
			}
			if failures == 0 {
				t.Logf("disk full after %d entries: %v", len(okEntries), err)
			}
			failures++
			continue
		}
		okEntries = append(okEntries, e.ID)
		if r != nil {
			okReports = append(okReports, r.ID)
		}
	}
	if failures == 0 {
		t.Fatal("the disk never filled")
	}

	got, err := db.Entries(time.Time{}, testT0.AddDate(1, 0, 0))
	if err != nil || len(got) != len(okEntries) {
		t.Fatalf("reads on a full disk: %d entries, %v; want %d", len(got), err, len(okEntries))
	}
	if err := db.Close(); err != nil {
		t.Logf("close on a full disk: %v", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	got, _ = db.Entries(time.Time{}, testT0.AddDate(1, 0, 0))
	if fmt.Sprint(entryIDs(got)) != fmt.Sprint(okEntries) {
		t.Fatalf("after the disk full: %d entries, want exactly the %d acknowledged", len(got), len(okEntries))
	}
	pending, _ := db.PendingReports(0)
	if fmt.Sprint(reportIDs(pending)) != fmt.Sprint(okReports) {
		t.Fatalf("after the disk full: %d reports, want exactly the %d acknowledged", len(pending), len(okReports))
	}
	if _, err := db.Record(testEntry(testT0.AddDate(0, 0, 1)), testReport(verify.ReportRedSighting)); err != nil {
		t.Fatalf("Record once space is back: %v", err)
	}
}

func entryIDs(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// TestOpenReadOnlyFileSystem: a store on a file system that went
// read-only (a failing SD card does that) fails to open with the system's
// reason, not a panic or a hang.
func TestOpenReadOnlyFileSystem(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	path := filepath.Join(dir, "terminal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Record(testEntry(testT0), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v: %s", err, out)
	}
	if _, err := Open(path); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Open on a read-only file system: %v, want EROFS", err)
	}
}
