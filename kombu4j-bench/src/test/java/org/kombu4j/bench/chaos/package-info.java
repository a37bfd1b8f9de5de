/**
 * The chaos suite: messages through consumers SIGKILLed at random points, private brokers restarted and
 * connections cut by a proxy, counting what was lost and duplicated (see RELIABILITY.md).
 */
package org.kombu4j.bench.chaos;
