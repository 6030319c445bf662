"""ISO-NE: web-services five-minute LMP reader."""
