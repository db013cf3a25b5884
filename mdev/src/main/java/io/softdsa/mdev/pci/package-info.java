/** The virtual function's PCI configuration space: header, BAR sizing, MSI-X, ATS/PASID/PRI capabilities. */
package io.softdsa.mdev.pci;
