/** The command processor: CMD / CMDSTS, every command and every CMDSTS error, carried out on the host slice. */
package io.softdsa.mdev.command;
