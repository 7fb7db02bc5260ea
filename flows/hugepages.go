package flows

// hugePage is the size of a transparent huge page on x86-64 and arm64
// (with 4 KiB base pages): the unit adviseHugePages advises in.
const hugePage = 2 << 20
