//go:build dnnl

package nn

import "testing"

func TestDNNLAgreesWithRef(t *testing.T) {
	d, err := NewDNNL()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) { agree(t, d, tc.n, tc.h, tc.w, tc.c, tc.build) })
	}
}
