/**
 * Request and reply over queues: {@link org.kombu4j.examples.rpc.RpcServer} answers on the queue a request
 * names in {@code reply_to}, with the request's {@code correlation_id}, which is how
 * {@link org.kombu4j.examples.rpc.RpcClient} matches replies to calls (Kombu's and Celery's RPC pattern).
 */
package org.kombu4j.examples.rpc;
