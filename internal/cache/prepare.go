package cache

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"tumorseg/internal/dataset"
	"tumorseg/internal/preprocess"
)

// DefaultSize is the image side Prepare uses when none is given.
const DefaultSize = 512

// AuditFile is the name of the audit Prepare writes beside the split files.
const AuditFile = "audit.json"

// PrepareOptions control Prepare.
type PrepareOptions struct {
	// Size is the side images and masks are resized to; 0 means DefaultSize.
	Size int
	// Strict makes a problem with any case fail Prepare instead of skipping
	// the case.
	Strict bool
	// PreviewDir, when set, receives every prepared image and mask as PNG:
	// PreviewDir/<split>/<stem>.png (16-bit gray) and <stem>_mask.png (0 or
	// 255), where stem is the image's file name without its extension.
	// Previews are written as cases are prepared, and stay if Prepare fails.
	PreviewDir string
	// Workers is the number of cases prepared at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called on the calling goroutine before a split
	// starts (done 0) and after each of its cases.
	Progress func(split string, done, total int)
}

// Prepare reads the dataset at root, prepares every case of every split and
// writes the cache to out: <split>.tsc for each split and audit.json. Each
// image is decoded to gray and resized to Size x Size bilinearly; its mask
// is rasterized from all its regions at the source resolution and resized
// by area coverage (see package preprocess).
//
// Cases that cannot be prepared are skipped and listed in the audit, unless
// opts.Strict is set, when the first of them fails Prepare. Split files are
// written under temporary names and renamed only when every split and the
// audit are complete, so a failure leaves out as it was. Split files in out
// that this run did not write are removed, so that Splits lists exactly the
// dataset's splits. Memory stays bounded by a few records per worker,
// whatever the dataset's size, and the files do not depend on Workers.
func Prepare(root, out string, opts PrepareOptions) (*Audit, error) {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	if opts.Size < 0 || opts.Size > MaxSize {
		return nil, fmt.Errorf("cache: size %d is outside 1..%d", opts.Size, MaxSize)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}

	d, err := dataset.Load(root)
	if err != nil {
		return nil, err
	}
	if opts.Strict {
		for _, s := range d.Splits {
			if len(s.Problems) > 0 {
				return nil, s.Problems[0]
			}
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, &Error{out, err.Error()}
	}

	audit := &Audit{Root: root, Size: opts.Size}
	var staged []pendingFile
	defer func() {
		for _, s := range staged {
			os.Remove(s.temp)
		}
	}()
	for _, s := range d.Splits {
		sa, temp, err := prepareSplit(s, out, opts)
		if err != nil {
			return nil, err
		}
		staged = append(staged, pendingFile{temp, filepath.Join(out, s.Name+Ext)})
		audit.Splits = append(audit.Splits, sa)
	}

	temp, err := writeTemp(out, AuditFile, func(_ *os.File, w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(audit); err != nil {
			return &Error{filepath.Join(out, AuditFile), err.Error()}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	staged = append(staged, pendingFile{temp, filepath.Join(out, AuditFile)})
	if err := commit(out, staged); err != nil {
		return nil, err
	}
	staged = nil
	return audit, nil
}

// pendingFile is a complete file under its temporary name.
type pendingFile struct{ temp, final string }

// commit renames the staged files into place, removes split files that
// were not staged, and syncs the folder.
func commit(out string, files []pendingFile) error {
	keep := map[string]bool{}
	for _, f := range files {
		if err := os.Rename(f.temp, f.final); err != nil {
			return &Error{f.final, err.Error()}
		}
		keep[filepath.Base(f.final)] = true
	}
	old, err := Splits(out)
	if err != nil {
		return err
	}
	for _, name := range old {
		if !keep[name+Ext] {
			if err := os.Remove(filepath.Join(out, name+Ext)); err != nil {
				return &Error{out, err.Error()}
			}
		}
	}
	return syncDir(out)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return &Error{dir, err.Error()}
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return &Error{dir, "sync: " + err.Error()}
	}
	return nil
}

// writeTemp writes a new temporary file in dir through fill, syncs and
// closes it, and returns its name; on failure the file is removed and the
// error from fill is returned as it is. fill may write through w and, after
// flushing w, into f directly.
func writeTemp(dir, name string, fill func(f *os.File, w *bufio.Writer) error) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return "", &Error{dir, err.Error()}
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", &Error{f.Name(), err.Error()}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(f, w); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", &Error{filepath.Join(dir, name), err.Error()}
	}
	return f.Name(), nil
}

// task is one case on its way through the workers.
type task struct {
	c    *dataset.Case
	rec  []byte // the record, filled by the worker
	done chan struct{}

	skip     error // why the case cannot be prepared
	fatal    error // a failure that stops Prepare
	tumor    int   // tumor pixels in the prepared mask
	vanished bool  // the source mask had tumor pixels, the prepared one none
}

// prepareSplit writes one split to a temporary file in out and returns its
// audit and the file's name.
func prepareSplit(s *dataset.Split, out string, opts PrepareOptions) (SplitAudit, string, error) {
	sw := &splitWriter{
		path:  filepath.Join(out, s.Name+Ext),
		opts:  opts,
		audit: SplitAudit{Split: s.Name, Images: s.Images, Annotations: s.Annotations},
		index: caseIndex{Cases: []caseEntry{}},
	}
	sw.audit.Skipped = []Skip{}
	for _, p := range s.Problems {
		file := p.Image
		if file == "" {
			file = p.File
		}
		sw.audit.Skipped = append(sw.audit.Skipped, Skip{File: file, Reason: p.Error()})
	}

	rec := recordBytes(opts.Size)
	temp, err := writeTemp(out, s.Name+Ext, func(f *os.File, w *bufio.Writer) error {
		sw.w = w
		if _, err := w.Write(make([]byte, dataOffset)); err != nil {
			return &Error{sw.path, err.Error()}
		}
		progress := func(done int) {
			if opts.Progress != nil {
				opts.Progress(s.Name, done, len(s.Cases))
			}
		}
		if err := runTasks(s.Cases, rec, opts, sw.write, progress); err != nil {
			return err
		}
		return sw.finish(f, rec)
	})
	return sw.audit, temp, err
}

// splitWriter appends records to a split file and keeps its audit.
type splitWriter struct {
	path  string
	opts  PrepareOptions
	w     *bufio.Writer
	audit SplitAudit
	index caseIndex
}

// write appends t's record, or records why t was skipped.
func (sw *splitWriter) write(t *task) error {
	if t.fatal != nil {
		return t.fatal
	}
	if t.skip != nil {
		if sw.opts.Strict {
			return t.skip
		}
		sw.audit.Skipped = append(sw.audit.Skipped,
			Skip{File: caseFile(t.c), Reason: t.skip.Error()})
		return nil
	}
	if _, err := sw.w.Write(t.rec); err != nil {
		return &Error{sw.path, err.Error()}
	}
	sw.index.Cases = append(sw.index.Cases, caseEntry{Name: t.c.Name, Source: t.c.ImagePath})
	sw.audit.add(t)
	return nil
}

// finish appends the case index and fills in the header.
func (sw *splitWriter) finish(f *os.File, rec int) error {
	js, err := json.Marshal(sw.index)
	if err == nil {
		_, err = sw.w.Write(js)
	}
	if err == nil {
		err = sw.w.Flush()
	}
	n := uint64(len(sw.index.Cases))
	h := header{
		size:        uint32(sw.opts.Size),
		count:       n,
		recordBytes: uint64(rec),
		dataOffset:  dataOffset,
		indexOffset: dataOffset + n*uint64(rec),
		indexLength: uint64(len(js)),
	}
	if err == nil {
		_, err = f.WriteAt(h.encode(), 0)
	}
	if err != nil {
		return &Error{sw.path, err.Error()}
	}
	return nil
}

// caseFile names a case's image relative to the dataset root.
func caseFile(c *dataset.Case) string { return c.Split + "/" + c.Name }

// runTasks prepares cases on opts.Workers goroutines and hands each result
// to write in case order, on the calling goroutine, then calls progress. A
// bounded pool of record buffers keeps at most 2*Workers records in memory.
// The first error from write stops the work and is returned.
func runTasks(cases []*dataset.Case, rec int, opts PrepareOptions,
	write func(*task) error, progress func(done int)) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	slots := 2 * opts.Workers
	free := make(chan []byte, slots)
	for range slots {
		free <- make([]byte, rec)
	}
	jobs := make(chan *task)
	order := make(chan *task, slots)
	go func() {
		defer close(jobs)
		defer close(order)
		for _, c := range cases {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			t := &task{c: c, rec: buf, done: make(chan struct{})}
			order <- t // never blocks: order holds as many tasks as there are buffers
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()

	var wg sync.WaitGroup
	defer wg.Wait()
	for range opts.Workers {
		wg.Go(func() {
			for t := range jobs {
				prepareCase(t, opts)
				close(t.done)
			}
		})
	}

	progress(0)
	done := 0
	for t := range order {
		<-t.done
		if err := write(t); err != nil {
			cancel()
			return err
		}
		free <- t.rec
		done++
		progress(done)
	}
	return nil
}

// prepareCase decodes, rasterizes and resizes one case into t.rec.
func prepareCase(t *task, opts PrepareOptions) {
	c := t.c
	img, err := preprocess.Decode(c.ImagePath)
	if err != nil {
		t.skip = err
		return
	}
	if img.W != c.Width || img.H != c.Height {
		t.skip = &Error{caseFile(c), fmt.Sprintf("image is %dx%d, the annotation file says %dx%d",
			img.W, img.H, c.Width, c.Height)}
		return
	}

	masks := make([][]uint8, len(c.RLEs))
	for i, r := range c.RLEs {
		masks[i] = r.Mask()
	}
	full := preprocess.RasterizeMask(c.Width, c.Height, c.Polygons, c.Boxes, masks...)
	size := opts.Size
	small := preprocess.Resize(img, size, size)
	mask := preprocess.ResizeMask(full, c.Width, c.Height, size, size)

	n := size * size
	for i, v := range small.Pix {
		binary.LittleEndian.PutUint32(t.rec[4*i:], math.Float32bits(v))
	}
	copy(t.rec[4*n:], mask)
	clear(t.rec[5*n:])

	for _, v := range mask {
		t.tumor += int(v)
	}
	t.vanished = t.tumor == 0 && slices.Contains(full, 1)

	if opts.PreviewDir != "" {
		stem := strings.TrimSuffix(c.Name, filepath.Ext(c.Name))
		base := filepath.Join(opts.PreviewDir, c.Split, filepath.FromSlash(stem))
		t.fatal = writePreview(base, small, mask)
	}
}
