// Command benchvalidate compares "handler validate" with CMS's own validator
// (infra/hptcheck/validate-many.mjs) on the same generated files, one after
// the other, and prints the median times, the ratios and the peak RSS of
// each (make bench-validate; docs/benchmarks.md). It is a benchmark, not a
// test: the machine it runs on decides the numbers, so only ratios measured
// in one run mean anything.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
)

// sample is one run of one command.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

// layout is one generated file.
type layout struct {
	format string
	rows   int
	file   string
}

func main() {
	handler := flag.String("handler", "bin/handler", "the handler binary")
	node := flag.String("node", "node", "the Node.js binary")
	cms := flag.String("cms", "infra/hptcheck/validate-many.mjs", "CMS's validator script")
	dir := flag.String("dir", "", "where to generate the files (default: a new temp dir, removed after)")
	runs := flag.Int("runs", 3, "runs of each command; the median counts")
	tall := flag.Int("tall-rows", 600_000, "rows of the tall CSV (600,000 is about 110 MB)")
	wide := flag.Int("wide-rows", 200_000, "rows of the wide CSV (200,000 is about 40 MB)")
	items := flag.Int("json-rows", 200_000, "items of the JSON file (200,000 is about 124 MB)")
	skipCMS := flag.Bool("skip-cms", false, "only run handler validate (for the 1 GB memory check)")
	flag.Parse()
	if err := run(*handler, *node, *cms, *dir, *runs, *skipCMS, []layout{
		{format: "csv-tall", rows: *tall, file: "tall.csv"},
		{format: "csv-wide", rows: *wide, file: "wide.csv"},
		{format: "json", rows: *items, file: "items.json"},
	}); err != nil {
		fmt.Fprintln(os.Stderr, "benchvalidate:", err)
		os.Exit(1)
	}
}

func run(handler, node, cms, dir string, runs int, skipCMS bool, layouts []layout) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "benchvalidate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Printf("%-11s %9s %8s %17s %17s %7s %7s %9s %9s %6s\n",
		"file", "MB", "rows", "ours wall/cpu", "CMS wall/cpu", "wall×", "cpu×", "ours RSS", "CMS RSS", "RSS÷")
	for _, l := range layouts {
		path := filepath.Join(dir, l.file)
		if err := command(handler, "generate", "-format", l.format, "-rows", fmt.Sprint(l.rows), path).Run(); err != nil {
			return fmt.Errorf("generate %s: %w", l.file, err)
		}
		gz := path + ".gz"
		if err := gzipFile(path, gz); err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		var ours, theirs, ourGz []sample
		for range runs {
			s, err := measure(command(handler, "validate", path))
			if err != nil {
				return fmt.Errorf("handler validate %s: %w", l.file, err)
			}
			ours = append(ours, s)
			// A handler from before gzip support cannot read it: no figure.
			if s, err = measure(command(handler, "validate", gz)); err == nil {
				ourGz = append(ourGz, s)
			}
			if skipCMS {
				continue
			}
			if s, err = measure(command(node, cms, path+"=3.0.0")); err != nil {
				return fmt.Errorf("CMS validator %s: %w", l.file, err)
			}
			theirs = append(theirs, s)
		}
		_ = os.Remove(gz)
		o := median(ours)
		line := fmt.Sprintf("%-11s %9.1f %8d %7.2fs/%6.2fs", l.file, float64(fi.Size())/1e6, l.rows, o.wall.Seconds(), o.cpu.Seconds())
		if skipCMS {
			fmt.Printf("%s %17s %7s %7s %6dMiB\n", line, "-", "-", "-", o.rssKiB>>10)
		} else {
			c := median(theirs)
			fmt.Printf("%s %7.2fs/%6.2fs %6.1f× %6.1f× %6dMiB %6dMiB %5.1f×\n", line, c.wall.Seconds(), c.cpu.Seconds(),
				c.wall.Seconds()/o.wall.Seconds(), c.cpu.Seconds()/o.cpu.Seconds(), o.rssKiB>>10, c.rssKiB>>10,
				float64(c.rssKiB)/float64(o.rssKiB))
		}
		if len(ourGz) == 0 {
			fmt.Printf("%-11s cannot be read by this handler\n", l.file+".gz")
			continue
		}
		g := median(ourGz)
		fmt.Printf("%-11s %9s %8s %7.2fs/%6.2fs   gzip vs plain: wall %+.0f %%, cpu %+.0f %%, RSS %dMiB\n", l.file+".gz", "", "",
			g.wall.Seconds(), g.cpu.Seconds(), 100*(g.wall.Seconds()/o.wall.Seconds()-1), 100*(g.cpu.Seconds()/o.cpu.Seconds()-1), g.rssKiB>>10)
	}
	return nil
}

func command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Stderr = os.Stderr
	return c
}

// measure runs c to the end and reads its wall time, CPU time and peak RSS.
// A validator's exit status 1 (the file is invalid) is not a failure here.
func measure(c *exec.Cmd) (sample, error) {
	c.Stdout = io.Discard
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if c.ProcessState == nil {
		return sample{}, err
	}
	if err != nil && c.ProcessState.ExitCode() != 1 {
		return sample{}, err
	}
	ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, fmt.Errorf("no resource usage on this platform")
	}
	return sample{wall: wall, cpu: c.ProcessState.UserTime() + c.ProcessState.SystemTime(), rssKiB: ru.Maxrss}, nil
}

// median takes each measure's median separately (and the worst RSS).
func median(ss []sample) sample {
	var walls, cpus []time.Duration
	var out sample
	for _, s := range ss {
		walls, cpus = append(walls, s.wall), append(cpus, s.cpu)
		out.rssKiB = max(out.rssKiB, s.rssKiB)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	out.wall, out.cpu = walls[len(walls)/2], cpus[len(cpus)/2]
	return out
}

func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	zw := gzip.NewWriter(bw)
	_, err = io.Copy(zw, in)
	for _, f := range []func() error{zw.Close, bw.Flush, out.Close} {
		if cerr := f(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("gzip %s: %w", src, err)
	}
	return nil
}
