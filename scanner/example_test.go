package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"yanma/scanner"
)

// A handheld scanner gun types one code per line; each line is one scan.
// A camera (camera:0), a video (file:demo.avi) or a folder (images:DIR)
// works the same way, the Scanner reporting each code once per
// presentation.
func ExampleScanner() {
	src, err := scanner.OpenSource("stdin", scanner.SourceOptions{
		Stdin: strings.NewReader("CODE-A\nCODE-B\n"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sc := scanner.NewScanner(src, scanner.NewDecoder(), scanner.ScannerOptions{})
	defer sc.Close()
	for {
		s, err := sc.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(s.Text)
		sc.Done() // the officer's verdict is shown
	}
	// Output:
	// CODE-A
	// CODE-B
}

func ExampleDecoder_DecodeImage() {
	img, err := scanner.RenderQR("hello checkpoint", 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	texts, err := scanner.NewDecoder().DecodeImage(img)
	fmt.Println(texts, err)
	// Output: [hello checkpoint] <nil>
}
