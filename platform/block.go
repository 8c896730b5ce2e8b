package platform

import "github.com/cancelsync/cancelsync/platform/configblock"

// A platform's own config keys (package configblock), under the names the
// platforms and config use.
type (
	// Key is one config key a platform reads besides those every adapter has.
	Key = configblock.Key
	// Block is an adapter's keys that belong to its platform.
	Block = configblock.Block
	// BlockReader reads a Block's keys and collects what is wrong.
	BlockReader = configblock.BlockReader
)

var (
	// NewBlock is configblock.NewBlock.
	NewBlock = configblock.NewBlock
	// BlockOf is configblock.BlockOf.
	BlockOf = configblock.BlockOf
)
