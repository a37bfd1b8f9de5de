/**
 * The {@code kombu4j} command: publish, consume, purge and list queues on any broker kombu4j has a
 * transport for, walk through the messaging model with {@code demo}, and (once its module exists)
 * benchmark with {@code bench}. {@link org.kombu4j.cli.Main#run} runs a command line in-process
 * with its own streams and environment, which is how the tests drive it; the flags, output and exit
 * codes (0 done, 1 broker or runtime error, 2 bad usage) are the contract in DESIGN.md.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.cli;
