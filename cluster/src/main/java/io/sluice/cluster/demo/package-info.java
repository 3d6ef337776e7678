/**
 * {@code sluice demo}: the README's main job (word count on three nodes through a node kill,
 * verified), and the failover scenario the cluster integration test shares.
 */
package io.sluice.cluster.demo;
