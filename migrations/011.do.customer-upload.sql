-- GET /api/customers?upload_id= (and a campaign's filter on it): the customers an upload wrote, in upload order.
CREATE INDEX customer_upload_id ON customer (upload_id, seq);
