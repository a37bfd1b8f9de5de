/**
 * Real Python Kombu as a test peer: Debian's {@code python3-kombu} run by {@code /usr/bin/python3}
 * ({@code PYTHONPATH} may point it at another Kombu, as the second interop pass of {@code ./run-tests} does).
 */
package org.kombu4j.testkit.python;
