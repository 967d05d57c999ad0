"""Example tunes in folk-rnn v2 tokens, for views and tests that run the network over a tune."""

#: The tune of part 5 of Sturm's series ("Making sense of the folk-rnn v2 model"), v2 tokens.
PART5_TUNE: tuple[str, ...] = tuple(
    "M:4/4 K:Cmaj "
    "B, | G, C C 2 G, C E C | G, C E G F D B, D | G, C C 2 G, C E G | F E D E C E A, B, | "
    "G, C C 2 G, C E C | G, C E F G 3 A | B c d B c B G F | D E F D C 3 :| "
    "|: D | E C C 2 D B, G, A, | B, C D E F 2 D F | E C C 2 D E F D | G ^F G A B 2 A B | "
    "G c c B c 2 B c | d e d c B d c B | G E F D G F D F | E C B, D C 3 :|".split()
)
