-- Erasing a customer deletes what webhooks were to say, or said, of their calls: found by the call's id in the
-- payload, through this index rather than by reading every delivery.
CREATE INDEX webhook_delivery_call ON webhook_delivery ((payload -> 'data' ->> 'call_id')) WHERE event = 'call.completed';
