package nn

import "fmt"

func errOdd(t *Tensor) error {
	return fmt.Errorf("2x2 pooling needs even height and width, got %dx%d", t.H, t.W)
}
