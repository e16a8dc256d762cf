package train

import (
	"bytes"
	"fmt"

	"tumorseg/internal/atomicio"
)

// writeHistory writes the history as CSV with a header row.
func writeHistory(path string, h []Epoch) error {
	var b bytes.Buffer
	b.WriteString("epoch,train_loss,val_loss,val_dice,seconds,best\n")
	for _, e := range h {
		fmt.Fprintf(&b, "%d,%.6f,%.6f,%.6f,%.2f,%t\n", e.Epoch, e.TrainLoss, e.ValLoss,
			e.ValDice, e.Seconds, e.Best)
	}
	return atomicio.WriteBytes(path, b.Bytes())
}
