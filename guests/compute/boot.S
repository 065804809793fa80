#include "../lib/entry.S"
