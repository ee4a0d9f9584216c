//! Streaming CSV audit of shipment lists (being written).
