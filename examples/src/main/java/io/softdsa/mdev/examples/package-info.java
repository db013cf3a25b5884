/** Runnable examples: a guest bringing a virtual DSA up, and the side-by-side measurement of the three paths. */
package io.softdsa.mdev.examples;
