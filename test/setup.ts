// Runs before every test file: uninitialised tensors are filled with NaN, so a kernel that
// leaves part of its output unwritten fails the comparisons instead of passing on stale data.
process.env.CONVKIT_POISON = '1';
