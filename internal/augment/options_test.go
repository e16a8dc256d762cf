package augment

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/spf13/pflag"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(o *Options)
		want string // "" when valid
	}{
		{"defaults", func(o *Options) {}, ""},
		{"zero", func(o *Options) { *o = Options{} }, ""},
		{"range of a part turned off", func(o *Options) {
			o.RotateP, o.RotateMaxDegrees = 0, 500
		}, ""},
		{"empty scale range", func(o *Options) { o.ScaleMin, o.ScaleMax = 1, 1 }, ""},
		{"probability above 1", func(o *Options) { o.FlipHorizontalP = 1.5 },
			"augment: --aug-flip-h is 1.5, want in [0, 1]"},
		{"negative probability", func(o *Options) { o.NoiseP = -0.1 },
			"augment: --aug-noise is -0.1, want in [0, 1]"},
		{"probability NaN", func(o *Options) { o.GammaP = math.NaN() },
			"augment: --aug-gamma is NaN, want in [0, 1]"},
		{"rotation over half a turn", func(o *Options) { o.RotateMaxDegrees = 200 },
			"augment: --aug-rotate-max is 200, want in [0, 180]"},
		{"scale 0", func(o *Options) { o.ScaleMin = 0 },
			"augment: --aug-scale-min is 0, want > 0"},
		{"scale range reversed", func(o *Options) { o.ScaleMax = 0.8 },
			"augment: --aug-scale-max is 0.8, want >= 0.9"},
		{"scale infinite", func(o *Options) { o.ScaleMax = math.Inf(1) },
			"augment: --aug-scale-max is +Inf, want >= 0.9"},
		{"shift beyond the size", func(o *Options) { o.ShiftMaxFraction = 1.5 },
			"augment: --aug-shift-max is 1.5, want in [0, 1]"},
		{"negative elastic alpha", func(o *Options) { o.ElasticP, o.ElasticAlpha = 1, -1 },
			"augment: --aug-elastic-alpha is -1, want >= 0"},
		{"elastic sigma 0", func(o *Options) { o.ElasticP, o.ElasticSigma = 1, 0 },
			"augment: --aug-elastic-sigma is 0, want > 0"},
		{"brightness NaN", func(o *Options) { o.BrightnessMaxDelta = math.NaN() },
			"augment: --aug-brightness-max is NaN, want in [0, 1]"},
		{"negative contrast", func(o *Options) { o.ContrastMin = -0.1 },
			"augment: --aug-contrast-min is -0.1, want >= 0"},
		{"contrast range reversed", func(o *Options) { o.ContrastMax = 0.5 },
			"augment: --aug-contrast-max is 0.5, want >= 0.9"},
		{"gamma 0", func(o *Options) { o.GammaMin = 0 },
			"augment: --aug-gamma-min is 0, want > 0"},
		{"noise infinite", func(o *Options) { o.NoiseStd = math.Inf(1) },
			"augment: --aug-noise-std is +Inf, want in [0, 1]"},
	}
	for _, tt := range tests {
		o := Defaults()
		tt.edit(&o)
		err := o.Validate()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want no error", tt.name, err)
			}
			continue
		}
		var re *RangeError
		if !errors.As(err, &re) || err.Error() != tt.want {
			t.Errorf("%s: %v, want RangeError %q", tt.name, err, tt.want)
		}
	}
}

func TestFlagsCoverEveryOptionWithDefaults(t *testing.T) {
	o := Defaults()
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	o.Flags(fs)

	n := 0
	fs.VisitAll(func(*pflag.Flag) { n++ })
	if fields := reflect.TypeFor[Options]().NumField(); n != fields {
		t.Errorf("%d flags for %d options", n, fields)
	}
	if got := fs.Lookup("aug-scale-max").DefValue; got != "1.1" {
		t.Errorf("--aug-scale-max defaults to %s, want 1.1", got)
	}

	err := fs.Parse([]string{"--aug-flip-h=0", "--aug-rotate-max", "30", "--aug-elastic=0.25"})
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.FlipHorizontalP, want.RotateMaxDegrees, want.ElasticP = 0, 30, 0.25
	if o != want {
		t.Errorf("after parsing: %+v, want %+v", o, want)
	}
}
