/** Network faults and TLS for tests: a TCP proxy that cuts connections or terminates TLS, and test certificates. */
package org.kombu4j.testkit.net;
