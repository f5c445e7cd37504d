package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/snnjson"
)

const nirFixtures = "../../../shared/fixtures/nir"

func TestImportCmd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lif.json")
	code, _, errs := snnc(t, "import", filepath.Join(nirFixtures, "lif_norse.nir"), "--source-framework", "norse", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"conversion: source framework: norse", "missing v_reset set to 0", "wrote "} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	g, _, err := snnjson.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.Semantics.Dt != 1e-3 || g.Semantics.Discretization != "euler" || g.Node("1") == nil {
		t.Errorf("imported model: %+v", g.Semantics)
	}
	// export and re-import keep the semantics (snnc metadata in the .nir).
	nirOut := filepath.Join(dir, "lif.nir")
	mustRun(t, "export", out, "-o", nirOut)
	back := filepath.Join(dir, "back.json")
	mustRun(t, "import", nirOut, "-o", back)
	g2, _, err := snnjson.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Semantics != g.Semantics {
		t.Errorf("semantics after export/import: %+v, want %+v", g2.Semantics, g.Semantics)
	}
}

func TestImportCmdErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown framework", []string{"import", filepath.Join(nirFixtures, "braille.nir"), "--source-framework", "keras", "-o", filepath.Join(dir, "x.json")}, 2, "unknown source framework"},
		{"not a nir file", []string{"import", filepath.Join(root, "testdata/models/ff_lif.json"), "-o", filepath.Join(dir, "y.json")}, 1, "not a NIR file"},
		{"export needs -o", []string{"export", filepath.Join(root, "testdata/models/ff_lif.json")}, 2, "-o"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := snnc(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errs, tc.msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "y.json")); err == nil {
		t.Error("a failed import left an output file")
	}
}

// TestCompileNIR: compile accepts .nir directly with the import flags.
func TestCompileNIR(t *testing.T) {
	img := filepath.Join(t.TempDir(), "braille.img")
	for _, target := range []string{"ref", "loihi"} {
		mustRun(t, "compile", filepath.Join(nirFixtures, "braille.nir"), "--source-framework", "snntorch", "--target", target, "-o", img)
		l, err := readImage(img)
		if err != nil {
			t.Fatal(err)
		}
		if dt := l.Image.Netlist().Semantics.Dt; dt != 1e-4 {
			t.Errorf("%s: dt %g, want snnTorch's 1e-4", target, dt)
		}
	}
}

func TestPlotCmd(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "ff.img")
	tr := filepath.Join(dir, "tr.json")
	mustRun(t, "compile", filepath.Join(root, "testdata/models/ff_lif.json"), "--target", "loihi", "-o", img)
	mustRun(t, "run", img, "--input", filepath.Join(root, "testdata/stimuli/ff_lif.json"), "--probe", "lif1.v", "-o", tr)
	raster := filepath.Join(dir, "raster.png")
	mustRun(t, "plot", tr, "-o", raster)
	cores := filepath.Join(dir, "cores.png")
	mustRun(t, "inspect", img, "--plot", cores)
	for _, p := range []string{raster, cores} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		r := im.Bounds()
		if r.Dx() < 500 || r.Dy() < 300 {
			t.Errorf("%s: %dx%d", filepath.Base(p), r.Dx(), r.Dy())
		}
		// non-trivial: more than two distinct colours
		colours := map[[4]uint32]bool{}
		for y := r.Min.Y; y < r.Max.Y; y += 3 {
			for x := r.Min.X; x < r.Max.X; x += 3 {
				cr, cg, cb, ca := im.At(x, y).RGBA()
				colours[[4]uint32{cr, cg, cb, ca}] = true
			}
		}
		if len(colours) < 3 {
			t.Errorf("%s: only %d colours", filepath.Base(p), len(colours))
		}
	}
	if code, _, _ := snnc(t, "plot", tr); code != 2 {
		t.Errorf("plot without -o: exit %d, want 2", code)
	}
}
