package train

import "testing"

func TestStopperPatienceAndMinDelta(t *testing.T) {
	// Scores by epoch; patience 2 and min delta 0.01: epoch 3 gains only
	// 0.005 and does not count, epochs 3 and 4 are the two bad ones.
	s := Stopper{Patience: 2, MinDelta: 0.01}
	for _, tc := range []struct {
		score          float64
		improved, stop bool
		best           int
	}{
		{0.50, true, false, 1},
		{0.60, true, false, 2},
		{0.605, false, false, 2},
		{0.55, false, true, 2},
	} {
		epoch := s.BestEpoch + s.Bad + 1
		improved, stop := s.Observe(epoch, tc.score)
		if improved != tc.improved || stop != tc.stop || s.BestEpoch != tc.best {
			t.Fatalf("epoch %d score %g: improved %v stop %v best %d, want %v %v %d",
				epoch, tc.score, improved, stop, s.BestEpoch, tc.improved, tc.stop, tc.best)
		}
	}
	if s.Best != 0.60 {
		t.Errorf("best score %g, want 0.6", s.Best)
	}
}

func TestStopperZeroPatienceNeverStops(t *testing.T) {
	s := Stopper{}
	s.Observe(1, 0.9)
	for e := 2; e < 50; e++ {
		if _, stop := s.Observe(e, 0.1); stop {
			t.Fatalf("stopped at epoch %d with patience 0", e)
		}
	}
}
