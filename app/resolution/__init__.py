"""Identity resolution: normalise, block, score, apply the merge rules, decide. Pure: no I/O."""
