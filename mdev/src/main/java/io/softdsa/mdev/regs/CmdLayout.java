package io.softdsa.mdev.regs;

import io.softdsa.memory.BitField;

import static io.softdsa.memory.BitField.bit;
import static io.softdsa.memory.BitField.bits;

/**
 * CMD and CMDSTS (BAR0 0xA0 / 0xA8, fact sheet section 14) and the operands their commands take: the one codec a
 * guest driver builds a command with and the command processor decodes it with.
 *
 * <pre>
 *  CMD      31 | 30:25 RO 0 | 24:20 command | 19:0 operand            31 = request completion interrupt
 *  CMDSTS   31 active | 30:24 - | 23:8 result | 7:0 error
 *  operand of Disable / Drain / Abort / Reset WQ:  19:16 block (index / 16) | 15:0 mask (bit index mod 16)
 *  operand of Request / Release Interrupt Handle:  16 IMS | 15:0 index (release: the handle)
 * </pre>
 */
public final class CmdLayout {
    public static final BitField OPERAND = bits(19, 0);
    public static final BitField COMMAND = bits(24, 20);
    public static final BitField REQUEST_INTERRUPT = bit(31);
    /** The bits of CMD software may write. */
    public static final long CMD_RW_MASK = OPERAND.mask() | COMMAND.mask() | REQUEST_INTERRUPT.mask();

    public static final BitField ERROR = bits(7, 0);
    public static final BitField RESULT = bits(23, 8);
    public static final BitField ACTIVE = bit(31);

    public static final BitField WQ_MASK = bits(15, 0);
    public static final BitField WQ_BLOCK = bits(19, 16);
    /** WQs one WQ-mask operand names at most: one per mask bit. */
    public static final int WQS_PER_BLOCK = WQ_MASK.width();

    public static final BitField HANDLE_INDEX = bits(15, 0);
    public static final BitField HANDLE_IMS = bit(16);

    private CmdLayout() {
    }

    /** The CMD register value for {@code command} with {@code operand} (and the completion interrupt request). */
    public static int cmd(int command, int operand, boolean requestInterrupt) {
        return (int) (OPERAND.encode(operand) | COMMAND.encode(command) | REQUEST_INTERRUPT.encode(requestInterrupt));
    }

    public static int command(int cmd) {
        return COMMAND.getInt(cmd);
    }

    public static int operand(int cmd) {
        return OPERAND.getInt(cmd);
    }

    public static boolean requestsInterrupt(int cmd) {
        return REQUEST_INTERRUPT.isSet(cmd);
    }

    /** The WQ-mask operand naming WQ {@code index} alone. */
    public static int wqOperand(int index) {
        return (int) (WQ_MASK.encode(1L << (index % WQS_PER_BLOCK)) | WQ_BLOCK.encode(index / WQS_PER_BLOCK));
    }

    /** CMDSTS with {@code error} and {@code result}, active clear. */
    public static int status(int error, int result) {
        return (int) (ERROR.encode(error) | RESULT.encode(result));
    }

    public static int error(int cmdsts) {
        return ERROR.getInt(cmdsts);
    }

    public static int result(int cmdsts) {
        return RESULT.getInt(cmdsts);
    }

    public static boolean active(long cmdsts) {
        return ACTIVE.isSet(cmdsts);
    }
}
