package augment

import "github.com/spf13/pflag"

// Flags registers one flag per option on fs, named --aug-flip-h,
// --aug-rotate, --aug-rotate-max and so on, with o's current values as
// their defaults; parsing fs writes into o. Call it on Defaults() to offer
// the defaults, and Validate o after parsing.
func (o *Options) Flags(fs *pflag.FlagSet) {
	for _, part := range o.parts() {
		for _, p := range part {
			fs.Float64Var(p.v, p.flag, *p.v, p.usage)
		}
	}
}
