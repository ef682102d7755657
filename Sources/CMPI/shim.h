#include <mpi.h>
/* Open MPI's handles are macros over incomplete types that Swift cannot import;
   these typed constants carry the same addresses. */
static MPI_Comm _Nonnull const CMPI_COMM_WORLD = MPI_COMM_WORLD;
static MPI_Comm _Nonnull const CMPI_COMM_NULL = MPI_COMM_NULL;
static MPI_Datatype _Nonnull const CMPI_FLOAT = MPI_FLOAT;
static MPI_Datatype _Nonnull const CMPI_DOUBLE = MPI_DOUBLE;
static MPI_Datatype _Nonnull const CMPI_BYTE = MPI_BYTE;
static MPI_Datatype _Nonnull const CMPI_INT32 = MPI_INT32_T;
static MPI_Datatype _Nonnull const CMPI_UINT64 = MPI_UINT64_T;
static MPI_Datatype _Nonnull const CMPI_UINT16 = MPI_UINT16_T;
static const int CMPI_COMM_TYPE_SHARED = MPI_COMM_TYPE_SHARED;
static const int CMPI_UNDEFINED = MPI_UNDEFINED;
static MPI_Info _Nonnull const CMPI_INFO_NULL = MPI_INFO_NULL;
static MPI_Op _Nonnull const CMPI_SUM = MPI_SUM;
static MPI_Op _Nonnull const CMPI_MAX = MPI_MAX;
static MPI_Op _Nonnull const CMPI_MIN = MPI_MIN;
static void * _Nonnull const CMPI_IN_PLACE = MPI_IN_PLACE;
static MPI_Status * _Nonnull const CMPI_STATUS_IGNORE = MPI_STATUS_IGNORE;
static MPI_Status * _Nonnull const CMPI_STATUSES_IGNORE = MPI_STATUSES_IGNORE;
static MPI_Request _Nonnull const CMPI_REQUEST_NULL = MPI_REQUEST_NULL;
static MPI_Errhandler _Nonnull const CMPI_ERRORS_RETURN = MPI_ERRORS_RETURN;
