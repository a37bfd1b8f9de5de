/**
 * Java and Python Kombu on one broker: {@link org.kombu4j.examples.interop.OrdersWithPython} sends orders that
 * a Python Kombu program ({@code orders_worker.py}, next to the class) handles, and reads the status
 * messages Python sends back.
 */
package org.kombu4j.examples.interop;
