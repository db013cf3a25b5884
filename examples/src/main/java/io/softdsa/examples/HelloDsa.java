package io.softdsa.examples;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.lang.foreign.ValueLayout;

/** The README's example: one shared WQ, one engine, a memmove and a CRC, in a plain main(). */
public final class HelloDsa {
    private HelloDsa() {
    }

    public static void main(String[] args) {
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             Device dsa = Device.create(memory, DeviceConfig.singleWq(WqMode.SHARED, 32, 1));
             DsaClient client = DsaClient.open(enable(dsa), 0)) {
            final HostBuffer src = client.allocate(4096);
            final HostBuffer dst = client.allocate(4096);
            src.segment().fill((byte) 42);
            final CompletionRecord cr = client.completionRecord();

            final Descriptor move = client.descriptor().opcode(Opcode.MEMMOVE)
                .source(src.address()).destination(dst.address()).transferSize(4096);
            int status = client.execute(move, cr, new BackoffIdleStrategy());
            System.out.printf("memmove: %s, dst[4095] = %d%n", Status.name(status),
                dst.segment().get(ValueLayout.JAVA_BYTE, 4095));

            final Descriptor crc = client.descriptor().opcode(Opcode.CRC_GENERATION)
                .source(src.address()).transferSize(4096);
            status = client.execute(crc, cr, new BackoffIdleStrategy());
            System.out.printf("crc-gen: %s, CRC-32C = 0x%08X%n", Status.name(status), cr.crcValue());
        }
    }

    private static Device enable(Device dsa) {
        dsa.enableAll();
        return dsa;
    }
}
