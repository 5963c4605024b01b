-- device/0010_hub_checkpoint: the latest mark of the hub's change sequence this device was
-- given (`SEQ.MARK`, see hub/0010_sequence_marks), saved in the transaction that saved what
-- the answer carrying it brought. Named at the next exchange; NULL after a start-over.
-- Frozen once landed.
ALTER TABLE sync_state ADD COLUMN hub_checkpoint TEXT;
