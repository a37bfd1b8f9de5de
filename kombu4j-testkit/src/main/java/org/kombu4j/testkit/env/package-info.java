/**
 * What the tests need from the machine: whether a service or tool is there, and the one rule for when it
 * is not — the test is skipped, except with {@code CI=true}, where it fails ({@code ./run-tests} sets it).
 */
package org.kombu4j.testkit.env;
