package scanner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/serial"
)

// Frame is one thing a Source yields: a picture to decode, or the texts a
// scanner gun has already decoded.
type Frame struct {
	// Mat is the picture (BGR); empty for text sources. It belongs to the
	// Source and is valid until the next Read or Close: do not Close it.
	Mat gocv.Mat
	// Texts are codes already decoded (a scanner gun's line); nil for pictures.
	Texts []string
	// Name says where the frame came from (a file name, a device).
	Name string
	// Index is the frame's number in its video or camera stream from 0, or -1
	// for a still image or a typed line.
	Index int
	// At is when the frame was taken: the clock for a camera or a scanner
	// gun, the video's own timeline for a video file.
	At time.Time
	// Cut says a new presentation starts here whatever came before: every
	// still image and every typed line stands alone.
	Cut bool
}

// Source yields frames until it ends (io.EOF) or is closed.
type Source interface {
	// Read returns the next frame. It returns io.EOF when a finite source
	// (file, folder, stdin) is exhausted, and ctx's error when ctx ends.
	Read(ctx context.Context) (Frame, error)
	// Close releases the source; Read then returns ErrClosed.
	Close() error
	// String names the source for logs (never a code's content).
	String() string
}

// SourceOptions configures OpenSource.
type SourceOptions struct {
	// Width, Height and FPS are asked of a camera (0: leave the camera's
	// default). Cameras may give something else; the frames say what came.
	Width, Height int
	FPS           float64
	// FourCC is the pixel format asked of a camera, "MJPG" by default: many
	// USB cameras give 1280×720 at 30 fps only as MJPEG. "-" leaves it alone.
	FourCC string
	// Stdin is what the "stdin" source reads (default os.Stdin).
	Stdin io.Reader
	// Logger gets camera and scanner-gun loss and reopen events, skipped
	// files (default: discard).
	Logger *slog.Logger
	// Now is the clock for camera frames and typed lines (default time.Now).
	Now func() time.Time
	// Reopen is how often a lost camera or serial scanner gun is tried
	// again (default 1 s).
	Reopen time.Duration
	// OnDevice, when set, is told when a camera or a serial scanner gun
	// goes away and when it is back, for the officer's screen (the logger
	// hears of it too). It is called from the source's reading and must
	// not block.
	OnDevice func(DeviceEvent)
}

// DeviceEvent is a scanning device lost or back.
type DeviceEvent struct {
	Source string // the source's spec, such as camera:0 or tty:/dev/ttyACM0
	Lost   bool   // gone and being reopened; false: back
	Err    error  // why it was lost
}

func (o SourceOptions) withDefaults() SourceOptions {
	if o.FourCC == "" {
		o.FourCC = "MJPG"
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Reopen <= 0 {
		o.Reopen = time.Second
	}
	if o.OnDevice == nil {
		o.OnDevice = func(DeviceEvent) {}
	}
	return o
}

// OpenSource opens a frame source from its spec:
//
//	camera:0, camera:/dev/video2   a V4L2 camera (index or device path)
//	file:PATH                      a video file, or a still image
//	images:DIR                     every image file in DIR, in name order
//	stdin                          one code per line (a keyboard-wedge scanner gun)
//	tty:PATH[@BAUD]                one code per line from a scanner gun in serial mode
//	                               (/dev/ttyACM0, a /dev/serial/by-id/ path), raw at
//	                               BAUD (default 9600); reopened when it is unplugged
//
// An unknown spec is ErrBadSpec; a missing path is fs.ErrNotExist; a folder
// without images is ErrEmptySource; a file that is no image or video is
// ErrUnreadable; a camera that cannot be opened is ErrCamera. The error
// names the spec; callers need not.
func OpenSource(spec string, opt SourceOptions) (Source, error) {
	src, err := openSource(spec, opt.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", spec, err)
	}
	return src, nil
}

func openSource(spec string, opt SourceOptions) (Source, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case kind == "stdin" && arg == "":
		return newLineSource("stdin", io.NopCloser(opt.Stdin), opt), nil
	case kind == "tty" && arg != "":
		path, baud, err := ttySpec(arg)
		if err != nil {
			return nil, err
		}
		open := func() (io.ReadCloser, error) { return serial.Open(path, baud) }
		f, err := open()
		if err != nil {
			return nil, err // serial's error names the path
		}
		return newDeviceSource(spec, f, open, opt), nil
	case kind == "camera" && arg != "":
		return openCamera(spec, arg, opt)
	case kind == "file" && arg != "":
		return openFile(arg, opt)
	case kind == "images" && arg != "":
		return openImages(arg, opt)
	}
	return nil, fmt.Errorf("unknown (want camera:N, camera:/dev/videoN, file:PATH, images:DIR, stdin or tty:PATH[@BAUD]): %w", ErrBadSpec)
}

// imageExts are the still-image files an images: folder yields.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".bmp": true, ".webp": true, ".tif": true, ".tiff": true,
	".pgm": true, ".ppm": true, ".pbm": true, ".pnm": true, ".jp2": true,
}

// ---- still image -------------------------------------------------------

type stillSource struct {
	name string
	mat  gocv.Mat
	done bool
	now  func() time.Time
	shut bool
}

func openFile(path string, opt SourceOptions) (Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err // names the path
	}
	if st.IsDir() {
		return nil, fmt.Errorf("a directory (use images:DIR): %w", ErrUnreadable)
	}
	if !isVideoPath(path) {
		m := gocv.IMRead(path, gocv.IMReadColor)
		if !m.Empty() {
			return &stillSource{name: path, mat: m, now: opt.Now}, nil
		}
		m.Close()
	}
	return openVideo(path, opt)
}

func (s *stillSource) Read(ctx context.Context) (Frame, error) {
	if s.shut {
		return Frame{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if s.done {
		return Frame{}, io.EOF
	}
	s.done = true
	return Frame{Mat: s.mat, Name: s.name, Index: -1, At: s.now(), Cut: true}, nil
}

func (s *stillSource) Close() error {
	if !s.shut {
		s.shut = true
		s.mat.Close()
	}
	return nil
}

func (s *stillSource) String() string { return "file:" + s.name }

// ---- video file --------------------------------------------------------

type videoSource struct {
	name  string
	vc    *gocv.VideoCapture
	mat   gocv.Mat
	fps   float64
	start time.Time
	n     int
	// pending: the first frame, read by openVideo, is in mat.
	pending bool
	shut    bool
}

func openVideo(path string, opt SourceOptions) (Source, error) {
	vc, err := openVideoCapture(path)
	if err != nil {
		return nil, err
	}
	fps := vc.Get(gocv.VideoCaptureFPS)
	if fps <= 0 || fps > 1000 {
		fps = 30
	}
	s := &videoSource{name: path, vc: vc, mat: gocv.NewMat(), fps: fps, start: opt.Now()}
	// Read the first frame now: OpenCV "opens" many files it cannot read
	// (a truncated PNG), and the caller should hear so from OpenSource.
	if !vc.Read(&s.mat) || s.mat.Empty() {
		s.Close()
		return nil, fmt.Errorf("no frame: %w", ErrUnreadable)
	}
	s.pending = true
	return s, nil
}

// openVideoCapture opens a video file with FFmpeg (the backend Debian's
// OpenCV reads files with; the others print noise on what is no video),
// falling back to any backend for a file that has a video's extension.
func openVideoCapture(path string) (*gocv.VideoCapture, error) {
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err == nil && vc.IsOpened() {
		return vc, nil
	}
	if vc != nil {
		vc.Close()
	}
	if isVideoPath(path) {
		vc, err = gocv.VideoCaptureFile(path)
		if err == nil && vc.IsOpened() {
			return vc, nil
		}
		if vc != nil {
			vc.Close()
		}
	}
	return nil, ErrUnreadable
}

func (s *videoSource) Read(ctx context.Context) (Frame, error) {
	if s.shut {
		return Frame{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if s.pending {
		s.pending = false
	} else if !s.vc.Read(&s.mat) || s.mat.Empty() {
		return Frame{}, io.EOF
	}
	at := s.start.Add(time.Duration(float64(s.n) / s.fps * float64(time.Second)))
	f := Frame{Mat: s.mat, Name: s.name, Index: s.n, At: at}
	s.n++
	return f, nil
}

func (s *videoSource) Close() error {
	if !s.shut {
		s.shut = true
		s.mat.Close()
		s.vc.Close()
	}
	return nil
}

func (s *videoSource) String() string { return "file:" + s.name }

// ---- images folder ------------------------------------------------------

type imagesSource struct {
	dir   string
	files []string
	next  int
	mat   gocv.Mat
	log   *slog.Logger
	now   func() time.Time
	shut  bool
}

func openImages(dir string, opt SourceOptions) (Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err // names the folder
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, ErrEmptySource
	}
	sort.Strings(files)
	return &imagesSource{dir: dir, files: files, mat: gocv.NewMat(), log: opt.Logger, now: opt.Now}, nil
}

func (s *imagesSource) Read(ctx context.Context) (Frame, error) {
	if s.shut {
		return Frame{}, ErrClosed
	}
	for s.next < len(s.files) {
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		path := s.files[s.next]
		s.next++
		m := gocv.IMRead(path, gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			s.log.Warn("skipping unreadable image", "file", filepath.Base(path))
			continue
		}
		s.mat.Close()
		s.mat = m
		return Frame{Mat: s.mat, Name: path, Index: -1, At: s.now(), Cut: true}, nil
	}
	return Frame{}, io.EOF
}

func (s *imagesSource) Close() error {
	if !s.shut {
		s.shut = true
		s.mat.Close()
	}
	return nil
}

func (s *imagesSource) String() string { return "images:" + s.dir }

// ---- lines (scanner guns) ----------------------------------------------

// maxLine bounds one typed line: verify refuses anything over 4 KiB, so a
// longer line is noise and is dropped.
const maxLine = 16 << 10

type lineResult struct {
	text string
	err  error
}

type lineSource struct {
	name  string
	lines chan lineResult
	stop  chan struct{}
	now   func() time.Time
	shut  bool
	ended error

	// open reopens a device that went away (a serial scanner gun
	// unplugged); nil for stdin, whose end is the end.
	open     func() (io.ReadCloser, error)
	reopen   time.Duration
	log      *slog.Logger
	onDevice func(DeviceEvent)

	mu sync.Mutex    // guards rc: the pump swaps it when it reopens
	rc io.ReadCloser // nil while a device is away
}

// ttySpec splits the argument of a tty: source into the device path and
// the baud rate after an @ (serial.DefaultBaud without one).
func ttySpec(arg string) (string, int, error) {
	path, rate, ok := strings.Cut(arg, "@")
	if !ok {
		return arg, serial.DefaultBaud, nil
	}
	baud, err := strconv.Atoi(rate)
	if path == "" || err != nil || baud <= 0 {
		return "", 0, fmt.Errorf("baud %q (want a number: tty:PATH@9600): %w", rate, ErrBadSpec)
	}
	return path, baud, nil
}

func newLineSource(name string, rc io.ReadCloser, opt SourceOptions) *lineSource {
	s := &lineSource{name: name, rc: rc, lines: make(chan lineResult), stop: make(chan struct{}), now: opt.Now, reopen: opt.Reopen, log: opt.Logger}
	go s.pump()
	return s
}

// newDeviceSource is a line source on a device that open opens, and opens
// again when it goes away.
func newDeviceSource(name string, rc io.ReadCloser, open func() (io.ReadCloser, error), opt SourceOptions) *lineSource {
	s := &lineSource{name: name, rc: rc, open: open, lines: make(chan lineResult), stop: make(chan struct{}), now: opt.Now, reopen: opt.Reopen, log: opt.Logger, onDevice: opt.OnDevice}
	go s.pump()
	return s
}

// pump reads lines in its own goroutine so Read can honour ctx; it ends at
// EOF or when the source is closed (for stdin, which cannot be interrupted,
// at the next line or EOF after Close). A device that goes away is opened
// again (reconnect); the lines it sent before are all delivered first.
func (s *lineSource) pump() {
	s.mu.Lock()
	br := bufio.NewReader(s.rc)
	s.mu.Unlock()
	for {
		line, err := readLine(br)
		if errors.Is(err, errLineTooLong) {
			s.log.Warn("dropping overlong scanner line", "limit", maxLine)
			continue
		}
		if err == nil && line == "" {
			continue
		}
		if err != nil && s.open != nil {
			if !s.reconnect(err) {
				return
			}
			s.mu.Lock()
			br = bufio.NewReader(s.rc)
			s.mu.Unlock()
			continue
		}
		select {
		case s.lines <- lineResult{line, err}:
		case <-s.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// reconnect closes the device that failed with cause and opens it again
// every s.reopen until it comes back (true) or the source is closed.
func (s *lineSource) reconnect(cause error) bool {
	s.mu.Lock()
	if s.rc != nil {
		_ = s.rc.Close()
		s.rc = nil
	}
	s.mu.Unlock()
	select {
	case <-s.stop:
		return false // the close itself ended the read
	default:
	}
	s.log.Warn("scanner gun lost, reopening", "source", s.name, "err", cause)
	s.onDevice(DeviceEvent{Source: s.name, Lost: true, Err: cause})
	t := time.NewTicker(s.reopen)
	defer t.Stop()
	for tries := 1; ; tries++ {
		select {
		case <-s.stop:
			return false
		case <-t.C:
		}
		rc, err := s.open()
		if err != nil {
			if tries == 1 || tries%60 == 0 {
				s.log.Warn("scanner gun still unavailable", "source", s.name, "tries", tries, "err", err)
			}
			continue
		}
		s.mu.Lock()
		select {
		case <-s.stop:
			s.mu.Unlock()
			_ = rc.Close()
			return false
		default:
		}
		s.rc = rc
		s.mu.Unlock()
		s.log.Info("scanner gun back", "source", s.name, "tries", tries)
		s.onDevice(DeviceEvent{Source: s.name})
		return true
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its end (CR, LF or CR LF: scanner guns
// end a code with either), trimmed of spaces; a last line without an end
// counts. An empty line comes back as "" (a CR LF is a line and an empty
// one). It returns io.EOF after the last line, and errLineTooLong for a
// line over maxLine bytes, which it skips.
func readLine(br *bufio.Reader) (string, error) {
	var line []byte
	long := false
	for {
		c, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && (len(line) > 0 || long) {
				if long {
					return "", errLineTooLong
				}
				return strings.TrimSpace(string(line)), nil
			}
			return "", err
		}
		if c == '\n' || c == '\r' {
			if long {
				return "", errLineTooLong
			}
			return strings.TrimSpace(string(line)), nil
		}
		if len(line) == maxLine {
			long = true
			continue
		}
		line = append(line, c)
	}
}

func (s *lineSource) Read(ctx context.Context) (Frame, error) {
	if s.shut {
		return Frame{}, ErrClosed
	}
	if s.ended != nil {
		return Frame{}, s.ended
	}
	select {
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case r := <-s.lines:
		if r.err != nil {
			if errors.Is(r.err, io.EOF) {
				s.ended = io.EOF
			} else {
				s.ended = fmt.Errorf("read %s: %w", s.name, r.err)
			}
			return Frame{}, s.ended
		}
		return Frame{Texts: []string{r.text}, Name: s.name, Index: -1, At: s.now(), Cut: true}, nil
	}
}

func (s *lineSource) Close() error {
	if s.shut {
		return nil
	}
	s.shut = true
	close(s.stop)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rc == nil {
		return nil
	}
	return s.rc.Close()
}

func (s *lineSource) String() string { return s.name }

// ---- camera ------------------------------------------------------------

// capture is the part of gocv.VideoCapture the camera source uses; tests put
// a fake camera behind it (the camera is the edge of this package).
type capture interface {
	Read(m *gocv.Mat) bool
	Close() error
}

// cameraSource reads a V4L2 camera and reopens it when it goes away.
type cameraSource struct {
	spec     string
	open     func() (capture, error)
	cap      capture
	mat      gocv.Mat
	log      *slog.Logger
	onDevice func(DeviceEvent)
	now      func() time.Time
	reopen   time.Duration
	n        int
	shut     bool
}

func openCamera(spec, arg string, opt SourceOptions) (Source, error) {
	open := func() (capture, error) {
		var vc *gocv.VideoCapture
		var err error
		if idx, perr := strconv.Atoi(arg); perr == nil {
			vc, err = gocv.VideoCaptureDeviceWithAPI(idx, gocv.VideoCaptureV4L2)
		} else {
			vc, err = gocv.VideoCaptureFileWithAPI(arg, gocv.VideoCaptureV4L2)
		}
		if err != nil || !vc.IsOpened() {
			if vc != nil {
				vc.Close()
			}
			return nil, ErrCamera
		}
		if opt.FourCC != "-" && len(opt.FourCC) == 4 {
			vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec(opt.FourCC))
		}
		if opt.Width > 0 {
			vc.Set(gocv.VideoCaptureFrameWidth, float64(opt.Width))
		}
		if opt.Height > 0 {
			vc.Set(gocv.VideoCaptureFrameHeight, float64(opt.Height))
		}
		if opt.FPS > 0 {
			vc.Set(gocv.VideoCaptureFPS, opt.FPS)
		}
		// One buffered frame: a slow decode then skips frames instead of
		// working through a queue of stale ones.
		vc.Set(gocv.VideoCaptureBufferSize, 1)
		opt.Logger.Info("camera opened", "source", spec,
			"width", vc.Get(gocv.VideoCaptureFrameWidth), "height", vc.Get(gocv.VideoCaptureFrameHeight),
			"fps", vc.Get(gocv.VideoCaptureFPS), "fourcc", vc.CodecString())
		return vc, nil
	}
	src, err := newCameraSource(spec, open, opt)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return src, nil
}

func newCameraSource(spec string, open func() (capture, error), opt SourceOptions) (*cameraSource, error) {
	c, err := open()
	if err != nil {
		return nil, err
	}
	return &cameraSource{spec: spec, open: open, cap: c, mat: gocv.NewMat(), log: opt.Logger, onDevice: opt.OnDevice, now: opt.Now, reopen: opt.Reopen}, nil
}

func (s *cameraSource) Read(ctx context.Context) (Frame, error) {
	for {
		if s.shut {
			return Frame{}, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		if s.cap == nil {
			if err := s.reconnect(ctx); err != nil {
				return Frame{}, err
			}
		}
		if s.cap.Read(&s.mat) && !s.mat.Empty() {
			f := Frame{Mat: s.mat, Name: s.spec, Index: s.n, At: s.now()}
			s.n++
			return f, nil
		}
		s.log.Warn("camera lost, reopening", "source", s.spec)
		s.onDevice(DeviceEvent{Source: s.spec, Lost: true, Err: fmt.Errorf("%s: no frame: %w", s.spec, ErrCamera)})
		_ = s.cap.Close()
		s.cap = nil
	}
}

// reconnect tries to open the camera every s.reopen until it comes back or
// ctx ends.
func (s *cameraSource) reconnect(ctx context.Context) error {
	t := time.NewTicker(s.reopen)
	defer t.Stop()
	tries := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		tries++
		c, err := s.open()
		if err == nil {
			s.cap = c
			s.log.Info("camera back", "source", s.spec, "tries", tries)
			s.onDevice(DeviceEvent{Source: s.spec})
			return nil
		}
		if tries == 1 || tries%60 == 0 {
			s.log.Warn("camera still unavailable", "source", s.spec, "tries", tries)
		}
	}
}

func (s *cameraSource) Close() error {
	if s.shut {
		return nil
	}
	s.shut = true
	s.mat.Close()
	if s.cap != nil {
		return s.cap.Close()
	}
	return nil
}

func (s *cameraSource) String() string { return s.spec }

// CameraSettings is what a camera agreed to when it was opened: a V4L2
// driver answers a request with the nearest mode it has, and says which.
type CameraSettings struct {
	Width, Height int
	FPS           float64
	// FourCC is the pixel format, such as MJPG or YUYV.
	FourCC string
}

// Settings returns what the open camera agreed to; false while it is
// away, or when the capture cannot say. Call it between reads, like Read.
func (s *cameraSource) Settings() (CameraSettings, bool) {
	vc, ok := s.cap.(*gocv.VideoCapture)
	if !ok || s.shut {
		return CameraSettings{}, false
	}
	return CameraSettings{
		Width:  int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height: int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:    vc.Get(gocv.VideoCaptureFPS),
		FourCC: strings.TrimRight(vc.CodecString(), "\x00 "),
	}, true
}

// ValidFourCC reports whether s can be asked of a camera as a pixel
// format: four printable ASCII characters (MJPG, YUYV, H264), or "-" for
// the camera's own.
func ValidFourCC(s string) bool {
	if s == "-" {
		return true
	}
	if len(s) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
