// Package learner is a passive learner of probabilistic deterministic
// automata (PDFA) from positive traces, after FlexFringe: the traces' prefix
// tree is merged state by state in the red-blue framework, each merge
// judged by a heuristic (the likelihood-ratio test, or ALERGIA's Hoeffding
// bound), until no blue state is left to merge.
//
// A Dataset holds the traces (symbols stored once, traces as spans of
// them); Learn makes a Model; a Model scores a trace symbol by symbol
// (ScoreInto, with smoothing so that no event is impossible) and is saved
// and loaded as versioned JSON. The package also reads and writes the
// benchmark formats: Abbadingo and PAutomaC trace files, FlexFringe's
// predict CSV, and PAutomaC perplexity.
//
// Heuristics are a table (see Heuristics): a new one is one file
// implementing the heuristic interface and one line in the table. Options
// are a value passed to Learn; nothing is global.
package learner
