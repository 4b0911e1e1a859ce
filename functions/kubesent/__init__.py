"""KubeSent: detect → diagnose → heal for failing Kubernetes pods.

The package is plain Python over our own types; each outside SDK is imported by exactly one module
(see DESIGN.md's module map), and only when it is first needed.
"""

__version__ = "0.2.0"
